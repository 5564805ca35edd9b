// The measurement of bench/agents/bench.mjs, one module for the page and for Node: `lib`
// gives loadEnv, ModelAgent, the runtimes and readFile.
export async function measure(lib, layouts, decisions) {
  const { loadEnv, ModelAgent, runtimes, readFile, wasm } = lib;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const out = [];
  const jobs = layouts.map((l) => ({ layout: l, format: 'tfjs', url: `${lib.models}/overcooked-2019/site/ppo_sp_${l}/model.json` }));
  jobs.push({ layout: 'cramped_room', format: 'onnx', url: lib.onnx });
  for (const job of jobs) {
    const env = await loadEnv(`cooking/${job.layout}`, wasm);
    const spec = { seat: 1, url: job.url, format: job.format, obs: 'lossless2019', actions: [0, 1, 3, 2, 4, 5], pick: 'argmax' };
    const agent = await ModelAgent.load(spec, env, runtimes, readFile);
    const greedy = env.info.policies.indexOf('greedy');
    env.reset(7n, 0);
    const times = [];
    // A few decisions first: the runtime compiles its kernels on the first calls.
    for (let i = 0; i < 20; i++) { const a = agent.decide(env, i, 7n); if (a instanceof Promise) await a; }
    for (let f = 0; f < decisions; f++) {
      const t0 = performance.now();
      let a = agent.decide(env, f, 7n);
      if (a instanceof Promise) a = await a;
      times.push(performance.now() - t0);
      const out2 = env.step([env.policy(greedy, 0), env.policy(greedy, 1)]);
      if (out2.truncated || out2.terminated) env.reset(BigInt(f), 0);
    }
    agent.dispose();
    const shape = env.info.observations.find((o) => o.name === 'lossless2019').shape;
    out.push({ layout: job.layout, format: job.format, shape, median: median(times), p99: [...times].sort((a, b) => a - b)[Math.floor(times.length * 0.99)] });
  }
  return out;
}
