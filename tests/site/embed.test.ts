// How embeds fail (src/lib/embed.ts): the message names the page and the embed as written; a claim the
// data contradicts "does not hold", one about missing data "cannot be checked"; unknown attributes (a typo
// that would skip a condition) are refused.
import { describe, expect, it } from 'vitest';
import { ClaimError } from '../../src/lib/claims.ts';
import { EmbedError, requireKnown, resolveClaim } from '../../src/lib/embed.ts';

const page = '/writeups/some-page/';
const props = { id: 'vgg19/block3_conv4/166', path: 'examples.firing_rate', gt: 0.5 };

describe('resolveClaim', () => {
  it('returns what the check returns', () => {
    expect(resolveClaim('Claim', props, page, () => 42)).toBe(42);
  });

  it('says a contradicted claim does not hold, naming the page, the claim and what the data says', () => {
    expect(() =>
      resolveClaim('Claim', props, page, () => {
        throw new ClaimError('examples.firing_rate is 0.3, not > 0.5.');
      }),
    ).toThrow(new EmbedError('Write-up /writeups/some-page/: the claim <Claim id="vgg19/block3_conv4/166" path="examples.firing_rate" gt={0.5} /> does not hold: examples.firing_rate is 0.3, not > 0.5.'));
  });

  it('says a claim about missing data cannot be checked', () => {
    expect(() =>
      resolveClaim('Claim', props, page, () => {
        throw new Error('Unit vgg19/block3_conv4/166 is not in the generated atlas.');
      }),
    ).toThrow(/the claim <Claim .*\/> cannot be checked\. Unit vgg19\/block3_conv4\/166 is not in the generated atlas\./);
  });
});

describe('requireKnown', () => {
  it('refuses an attribute the embed does not know, listing the known ones', () => {
    expect(() => requireKnown('Claim', props, ['id', 'path', 'gt'], page)).not.toThrow();
    expect(() => requireKnown('Claim', { ...props, gte: 0 }, ['id', 'path', 'gt'], page)).toThrow('unknown attribute gte (known: id, path, gt)');
  });
});
