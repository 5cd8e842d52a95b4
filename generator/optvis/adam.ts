// The optimizers of feature visualization, on flat typed arrays. Gradient *ascent*: the objective is
// maximized. Adam as tfjs and Lucid's TF1 optimizer apply it (the Fourier recipes); NAdam as PyTorch's
// torch.optim.NAdam (MACO's, Fel et al. 2023).

/** One optimizer step: params += step(grad of the objective), in place; `lr` overrides the rate (schedules). */
export interface Optimizer {
  ascend(params: Float32Array, grad: Float32Array, lr?: number): void;
}

export const OPTIMIZERS = ['adam', 'nadam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

function checkSizes(name: string, params: Float32Array, grad: Float32Array, expected: number): void {
  if (grad.length !== params.length || params.length !== expected) {
    throw new Error(`${name}: ${params.length} parameters and ${grad.length} gradients, expected ${expected}`);
  }
}

/** Adam (Kingma & Ba): bias-corrected moments, epsilon outside the square root. */
export class Adam implements Optimizer {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;

  constructor(
    size: number,
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  ascend(params: Float32Array, grad: Float32Array, lr = this.lr): void {
    checkSizes('Adam', params, grad, this.m.length);
    this.t++;
    const { beta1: b1, beta2: b2, m, v } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      params[i] += (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + this.epsilon);
    }
  }
}

/**
 * NAdam (Dozat 2016) as PyTorch implements it: Adam with Nesterov momentum whose coefficient mu_t =
 * beta1 (1 - 0.5 * 0.96^(t * momentumDecay)) warms up over the steps; the step mixes the current
 * gradient (weight (1 - mu_t) / (1 - prod mu)) and the look-ahead momentum (mu_{t+1} / (1 - prod mu * mu_{t+1})).
 */
export class NAdam implements Optimizer {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;
  private muProduct = 1;

  constructor(
    size: number,
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
    private readonly momentumDecay = 4e-3,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  ascend(params: Float32Array, grad: Float32Array, lr = this.lr): void {
    checkSizes('NAdam', params, grad, this.m.length);
    this.t++;
    const { beta1: b1, beta2: b2, m, v, t } = this;
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * this.momentumDecay));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * this.momentumDecay));
    this.muProduct *= mu;
    const c2 = 1 - b2 ** t;
    const onGrad = (lr * (1 - mu)) / (1 - this.muProduct);
    const onMomentum = (lr * muNext) / (1 - this.muProduct * muNext);
    for (let i = 0; i < params.length; i++) {
      const g = grad[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const denom = Math.sqrt(v[i] / c2) + this.epsilon;
      params[i] += (onGrad * g + onMomentum * m[i]) / denom;
    }
  }
}

export function createOptimizer(name: OptimizerName, size: number, lr: number): Optimizer {
  // Both with the defaults of their reference implementations (TF/tfjs, PyTorch): beta1 0.9, beta2 0.999, epsilon 1e-8.
  return name === 'nadam' ? new NAdam(size, lr) : new Adam(size, lr, 0.9, 0.999, 1e-8);
}
