// One output folder, several models: generating one replaces its own manifest entries and keeps the others'.
import { describe, expect, it } from 'vitest';
import { mergeManifest } from '../../generator/pipeline/manifest.ts';
import { type Manifest, SCHEMA } from '../../generator/pipeline/schema.ts';

const vgg = { model: 'vgg19', description: 'default', featured: ['vgg19/block3_conv4/166'], circuits: [{ id: 'block3_conv4-166', layer: 'block3_conv4', unit: 166 }] };
const sq = { model: 'squeezenet1.1', description: 'second', featured: ['squeezenet1.1/fire4_squeeze1x1/5'], circuits: [{ id: 'fire4_squeeze1x1-5', layer: 'fire4_squeeze1x1', unit: 5 }] };

describe('mergeManifest', () => {
  it('adds a second model beside the first, replaces a model\'s own entries on regeneration, and drops models whose folder is gone', () => {
    const one = mergeManifest(null, vgg, () => true);
    expect(one).toMatchObject({ models: ['vgg19'], description: 'default', circuits: [{ id: 'block3_conv4-166', model: 'vgg19' }] });
    const two = mergeManifest(one, sq, () => true);
    expect(two.models).toEqual(['vgg19', 'squeezenet1.1']);
    expect(two.description).toBe('default');
    expect(two.descriptions).toEqual({ vgg19: 'default', 'squeezenet1.1': 'second' });
    expect(two.featured).toEqual([...vgg.featured, ...sq.featured]);
    expect(two.circuits.map((c) => `${c.model}:${c.id}`)).toEqual(['vgg19:block3_conv4-166', 'squeezenet1.1:fire4_squeeze1x1-5']);
    // VGG19 regenerated with another featured unit: its entries change, SqueezeNet's stay, the order stays.
    const again = mergeManifest(two, { ...vgg, featured: ['vgg19/block3_conv4/8'], circuits: [] }, () => true);
    expect(again.models).toEqual(['vgg19', 'squeezenet1.1']);
    expect(again.description).toBe('default');
    expect(again.featured).toEqual(['vgg19/block3_conv4/8', 'squeezenet1.1/fire4_squeeze1x1/5']);
    expect(again.circuits.map((c) => c.id)).toEqual(['fire4_squeeze1x1-5']);
    expect(mergeManifest(two, vgg, (m) => m !== 'squeezenet1.1').models).toEqual(['vgg19']);
  });

  it('reads a single-model manifest of earlier versions (circuits without a model), and refuses two models with the same circuit id', () => {
    const legacy: Manifest = { schema: SCHEMA, description: 'old', models: ['vgg19'], featured: [], circuits: [{ id: 'block3_conv4-166', layer: 'block3_conv4', unit: 166 }] };
    const m = mergeManifest(legacy, sq, () => true);
    expect(m.circuits[0]).toEqual({ id: 'block3_conv4-166', model: 'vgg19', layer: 'block3_conv4', unit: 166 });
    expect(m.descriptions?.vgg19).toBe('old');
    expect(() => mergeManifest(m, { ...sq, model: 'other', circuits: [{ id: 'block3_conv4-166', layer: 'block3_conv4', unit: 166 }] }, () => true)).toThrow(/circuit 'block3_conv4-166' is in two models/);
  });
});
