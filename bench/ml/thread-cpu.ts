/**
 * CPU time per thread of this process, from /proc/self/task (Linux; elsewhere `available` is false). On a shared
 * machine the wall time of a multi-threaded stage says little; the CPU its busiest thread spent does not depend on
 * the load, and summed over stages that run one after the other it estimates the wall time on an idle machine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export type ThreadTimes = Map<string, number>;

const TICK_MS = 10; // USER_HZ = 100 on Linux

export const threadCpuAvailable = existsSync('/proc/self/task');

/** CPU milliseconds (user + system) of every thread, keyed by thread id. */
export function threadTimes(): ThreadTimes {
  const out: ThreadTimes = new Map();
  if (!threadCpuAvailable) return out;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // fields after "(comm) ": state is field 3, utime 14, stime 15
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) * TICK_MS);
    } catch {
      // the thread ended between listing and reading
    }
  }
  return out;
}

/** CPU milliseconds of the busiest thread between two snapshots. */
export function busiestThreadMs(before: ThreadTimes, after: ThreadTimes): number {
  let max = 0;
  for (const [tid, ms] of after) max = Math.max(max, ms - (before.get(tid) ?? 0));
  return max;
}
