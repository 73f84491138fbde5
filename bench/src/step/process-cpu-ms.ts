/** CPU time of this process, the measure that a machine shared with other work stretches least. */

/** Returns the CPU milliseconds (user + system, all threads) this process has used so far. */
export function processCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
