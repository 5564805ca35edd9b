// Trained-model seats (docs/AGENTS.md): load a TensorFlow.js graph model or an ONNX model,
// feed it the env's own observation (computed by the same C as the server's, in wasm) and
// turn its output into an env action.
//
// No DOM and no fetch of its own: the caller passes the runtime (the `tf` namespace of
// @tensorflow/tfjs, or `ort` of onnxruntime-web) and a function that reads a file, so the
// browser (web/game.js) and `cohort eval` in Node (tools/eval) run exactly this code.

const U64 = (1n << 64n) - 1n;

function mix64(z) {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & U64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & U64;
  return z ^ (z >> 31n);
}

/** The seed of episode `episode` of a game seeded `gameSeed`: room_episode_seed in src/room. */
export function episodeSeed(gameSeed, episode) {
  return mix64((BigInt.asUintN(64, BigInt(gameSeed)) + 0x9e3779b97f4a7c15n * BigInt(episode + 1)) & U64);
}

/**
 * The uniform number in [0, 1) a sampling model seat draws for (episode seed, frame, seat):
 * the same in every browser, in `cohort eval` and on every run, so a sampled episode can be
 * reproduced from its seed.
 */
export function drawUniform(seed, frame, seat) {
  const key = (BigInt.asUintN(64, BigInt(seed)) ^ mix64(BigInt(frame) * 16n + BigInt(seat) + 1n)) & U64;
  return Number(mix64(key) >> 11n) / 2 ** 53;
}

/** Output i by `pick`: the largest (first on a tie, as the 2019 site), or a draw by u. */
export function pickIndex(probs, pick, u) {
  if (pick !== 'sample') {
    let best = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
    return best;
  }
  let total = 0;
  for (const p of probs) total += p > 0 ? p : 0;
  let acc = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (!(probs[i] > 0)) continue;
    acc += probs[i];
    last = i;
    if (u * total < acc) return i;
  }
  return last; // rounding put u at the very top
}

// A model's output as probabilities: softmax outputs are kept; anything else (logits) is
// passed through a softmax, so `pick: sample` draws from a distribution either way.
function asProbabilities(values) {
  let sum = 0;
  let inRange = true;
  for (const v of values) {
    sum += v;
    if (!(v >= 0 && v <= 1)) inRange = false;
  }
  if (inRange && Math.abs(sum - 1) < 1e-3) return Float64Array.from(values);
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  const out = new Float64Array(values.length);
  let z = 0;
  for (let i = 0; i < values.length; i++) z += (out[i] = Math.exp(values[i] - max));
  for (let i = 0; i < out.length; i++) out[i] /= z;
  return out;
}

const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function weightBytes(spec) {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const size = DTYPE_BYTES[dtype];
  if (!size) throw new Error(`model weight ${spec.name}: unsupported dtype ${dtype}`);
  return n * size;
}

/**
 * A graph model exported with a fixed batch (the 2019 agents: 30, from their 30 training
 * environments) cannot run one state. Free the batch of its input and set the first value
 * of each Reshape whose shape is [batch, -1] to 1: the same weights, one state at a time.
 * The files on disk stay as published.
 */
function freeBatch(topology, specs, weights) {
  const nodes = topology?.node ?? [];
  let batch = 0;
  for (const n of nodes) {
    const dims = n.op === 'Placeholder' ? n.attr?.shape?.shape?.dim : null;
    if (dims?.length && Number(dims[0].size) > 1) {
      batch = Number(dims[0].size);
      dims[0].size = '-1';
    }
  }
  if (!batch) return;
  const reshapeShapes = new Set(nodes.filter((n) => n.op === 'Reshape').map((n) => n.input?.[1]));
  let off = 0;
  for (const spec of specs) {
    const bytes = weightBytes(spec);
    if (reshapeShapes.has(spec.name) && spec.dtype === 'int32' && !spec.quantization) {
      const v = new DataView(weights.buffer, weights.byteOffset + off, bytes);
      if (bytes === 8 && v.getInt32(0, true) === batch && v.getInt32(4, true) === -1) v.setInt32(0, 1, true);
    }
    off += bytes;
  }
}

async function loadTfjs(tf, url, readFile) {
  const json = JSON.parse(new TextDecoder().decode(await readFile(url)));
  const topology = json.modelTopology;
  const groups = json.weightsManifest ?? [];
  const specs = groups.flatMap((g) => g.weights);
  const base = url.slice(0, url.lastIndexOf('/') + 1);
  const parts = [];
  for (const g of groups) for (const p of g.paths) parts.push(new Uint8Array(await readFile(base + p)));
  const weights = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { weights.set(p, at); at += p.length; }
  freeBatch(topology, specs, weights);
  const model = await tf.loadGraphModel({
    load: async () => ({ modelTopology: topology, weightSpecs: specs, weightData: weights.buffer }),
  });
  const input = model.inputs[0];
  return {
    inputShape: input.shape ? input.shape.slice(1) : null,
    sync: true,
    // Synchronous on the CPU backend: the decision lands inside the tick that needs it.
    run(obs, shape) {
      return tf.tidy(() => {
        const x = tf.tensor(obs, [1, ...shape], 'float32');
        const y = model.execute({ [input.name]: x });
        return Float32Array.from((Array.isArray(y) ? y[0] : y).dataSync());
      });
    },
    dispose() { model.dispose(); },
  };
}

async function loadOnnx(ort, url, readFile) {
  const session = await ort.InferenceSession.create(new Uint8Array(await readFile(url)), { executionProviders: ['wasm'] });
  const name = session.inputNames[0];
  const out = session.outputNames[0];
  const meta = session.inputMetadata?.[0];
  const dims = meta?.shape ?? null;
  return {
    inputShape: dims ? dims.slice(1).map((d) => (typeof d === 'number' ? d : -1)) : null,
    sync: false,
    async run(obs, shape) {
      const result = await session.run({ [name]: new ort.Tensor('float32', obs, [1, ...shape]) });
      return Float32Array.from(result[out].data);
    },
    dispose() { session.release?.(); },
  };
}

export class ModelAgent {
  /**
   * spec: { seat, url, format: 'tfjs'|'onnx', obs, actions: [env action per output], pick }
   * (a game_start `models` entry). env: the game's Env (web/env.js). runtimes: { tf, ort }.
   * readFile(url) -> ArrayBuffer|Uint8Array.
   */
  static async load(spec, env, runtimes, readFile) {
    const ob = env.info.observations?.find((o) => o.name === spec.obs);
    if (!ob) throw new Error(`${env.info.name} has no observation "${spec.obs}"`);
    let runner;
    if (spec.format === 'onnx') {
      if (!runtimes.ort) throw new Error('no ONNX runtime loaded');
      runner = await loadOnnx(runtimes.ort, spec.url, readFile);
    } else {
      if (!runtimes.tf) throw new Error('no TensorFlow.js runtime loaded');
      runner = await loadTfjs(runtimes.tf, spec.url, readFile);
    }
    const want = runner.inputShape;
    if (want && (want.length !== 3 || want.some((d, i) => d >= 0 && d !== ob.shape[i]))) {
      runner.dispose();
      throw new Error(`model ${spec.url} takes [${want}] but ${spec.obs} of ${env.info.name} is [${ob.shape}]`);
    }
    return new ModelAgent(spec, ob, runner);
  }

  constructor(spec, ob, runner) {
    this.seat = spec.seat;
    this.obs = spec.obs;
    this.shape = ob.shape;
    this.actions = spec.actions;
    this.pick = spec.pick === 'sample' ? 'sample' : 'argmax';
    this.runner = runner;
    this.decisions = 0;
  }

  /** Whether decide() answers at once (TensorFlow.js) or needs an await (ONNX). */
  get synchronous() { return this.runner.sync; }

  /** The output probabilities for the env's current state, as this seat sees it. */
  probabilities(env) {
    const obs = Float32Array.from(env.observe(this.obs, this.seat));
    const r = this.runner.run(obs, this.shape);
    return r instanceof Promise ? r.then(asProbabilities) : asProbabilities(r);
  }

  /**
   * The env action for frame `frame` of the episode seeded `seed`, from the env's current
   * state S(frame). A Promise for ONNX models, a number for TensorFlow.js ones.
   */
  decide(env, frame, seed) {
    const toAction = (probs) => {
      const i = pickIndex(probs, this.pick, this.pick === 'sample' ? drawUniform(seed, frame, this.seat) : 0);
      this.decisions++;
      const a = this.actions[i];
      return Number.isInteger(a) ? a : env.info.defaultAction;
    };
    const p = this.probabilities(env);
    return p instanceof Promise ? p.then(toAction) : toAction(p);
  }

  dispose() { this.runner.dispose(); }
}
