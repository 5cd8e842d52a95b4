// Adam (Kingma & Ba) on a flat typed array, as tfjs and Lucid's TF1 optimizer apply it (bias-corrected
// moments, epsilon outside the square root). Gradient *ascent*: the objective is maximized.
export class Adam {
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

  /** params += step(grad of the objective), in place; `lr` overrides the constructor's rate for this step (schedules). */
  ascend(params: Float32Array, grad: Float32Array, lr = this.lr): void {
    if (grad.length !== params.length || params.length !== this.m.length) {
      throw new Error(`Adam: ${params.length} parameters and ${grad.length} gradients, expected ${this.m.length}`);
    }
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
