// The optimizers of feature visualization, on flat typed arrays. Gradient *ascent*: the objective is
// maximized. Adam as tfjs and Lucid's TF1 optimizer apply it (the Fourier recipes); NAdam as PyTorch's
// torch.optim.NAdam (MACO's, Fel et al. 2023).

/** One optimizer step: params += step(grad of the objective), in place; `lr` overrides the rate (schedules). */
export interface Optimizer {
  ascend(params: Float32Array, grad: Float32Array, lr?: number): void;
}

export const OPTIMIZERS = ['adam', 'nadam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/**
 * Adam's moment estimates, shared by Adam and NAdam: each step updates m and v, then
 * params += (onGrad * g + lr * (m / momentumScale)) / (sqrt(v / (1 - beta2^t)) + epsilon), where the two
 * optimizers differ only in onGrad and momentumScale (Adam's arithmetic as tfjs's, unchanged).
 */
abstract class MomentOptimizer implements Optimizer {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  protected t = 0;

  constructor(
    private readonly name: string,
    size: number,
    protected readonly lr: number,
    protected readonly beta1: number,
    private readonly beta2: number,
    private readonly epsilon: number,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** This step's weights (t already counts it): the gradient's, and the divisor of the momentum. */
  protected abstract weights(lr: number): { onGrad: number; momentumScale: number };

  ascend(params: Float32Array, grad: Float32Array, lr = this.lr): void {
    if (grad.length !== params.length || params.length !== this.m.length) {
      throw new Error(`${this.name}: ${params.length} parameters and ${grad.length} gradients, expected ${this.m.length}`);
    }
    this.t++;
    const { beta1: b1, beta2: b2, m, v } = this;
    const { onGrad, momentumScale } = this.weights(lr);
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      params[i] += (onGrad * g + lr * (m[i] / momentumScale)) / (Math.sqrt(v[i] / c2) + this.epsilon);
    }
  }
}

/** Adam (Kingma & Ba): bias-corrected moments, epsilon outside the square root. */
export class Adam extends MomentOptimizer {
  constructor(size: number, lr: number, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8) {
    super('Adam', size, lr, beta1, beta2, epsilon);
  }

  protected weights(): { onGrad: number; momentumScale: number } {
    return { onGrad: 0, momentumScale: 1 - this.beta1 ** this.t };
  }
}

/**
 * NAdam (Dozat 2016) as PyTorch implements it: Adam with Nesterov momentum whose coefficient mu_t =
 * beta1 (1 - 0.5 * 0.96^(t * momentumDecay)) warms up over the steps; the step mixes the current
 * gradient (weight (1 - mu_t) / (1 - prod mu)) and the look-ahead momentum (mu_{t+1} / (1 - prod mu * mu_{t+1})).
 */
export class NAdam extends MomentOptimizer {
  private muProduct = 1;

  constructor(size: number, lr: number, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, private readonly momentumDecay = 4e-3) {
    super('NAdam', size, lr, beta1, beta2, epsilon);
  }

  protected weights(lr: number): { onGrad: number; momentumScale: number } {
    const mu = this.beta1 * (1 - 0.5 * 0.96 ** (this.t * this.momentumDecay));
    const muNext = this.beta1 * (1 - 0.5 * 0.96 ** ((this.t + 1) * this.momentumDecay));
    this.muProduct *= mu;
    return { onGrad: (lr * (1 - mu)) / (1 - this.muProduct), momentumScale: (1 - this.muProduct * muNext) / muNext };
  }
}

export function createOptimizer(name: OptimizerName, size: number, lr: number): Optimizer {
  // Both with the defaults of their reference implementations (TF/tfjs, PyTorch): beta1 0.9, beta2 0.999, epsilon 1e-8.
  return name === 'nadam' ? new NAdam(size, lr) : new Adam(size, lr, 0.9, 0.999, 1e-8);
}
