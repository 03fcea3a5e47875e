/**
 * The measured window of a Node load generator in bench/clients/: waits
 * `durationMs` while the load runs, then reports how long it really was and
 * how much of one core the generator used (near 100% means the generator,
 * not the server, may have been the limit).
 */
export async function measureWindow(durationMs) {
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { seconds, clientCpu: (cpu.user + cpu.system) / 1e6 / seconds };
}
