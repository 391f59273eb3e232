/**
 * Node flags a command needs beyond the `#!` line's, and running the command again under them: V8
 * reads heap sizes only at start, so a process cannot give itself a larger young generation.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * The lab's young generation: 64 MB semi-spaces, growing to 128 MB, instead of the `#!` line's 4 MB.
 * A simulated fabric allocates frames, timers and decoded UPDATEs that die within a few events while
 * its RIBs grow by millions of paths; with small semi-spaces scavenges come five times as often and
 * copy the young routes again each time. At 64 leaves and 10,000 hosts (`npm run bench --
 * lab-scale`), side by side with the `#!` line's flags: 13% less boot CPU and 12% less CPU per flow
 * frame, 82 scavenges instead of 465 (boot and 4 s of traffic), 40 MB more peak RSS. Beside 32/64 MB,
 * five times: 4-9% less boot CPU, the same per flow frame (within the noise), 0-90 MB more RSS;
 * 16/32 MB saved half as much as 32/64.
 */
export const LAB_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=128', '--min-semi-space-size=64'];

/** Whether this process was started with every one of `flags`. */
export function startedWithNodeFlags(flags: readonly string[]): boolean {
  return flags.every((f) => process.execArgv.includes(f));
}

/**
 * Runs this process's script again, with the same arguments, in a node started with its own flags
 * then `flags` (V8 takes the last value of a flag given twice), stdio inherited; resolves to the exit
 * code to leave with. SIGINT and SIGTERM sent to this process are passed on; a child killed by a
 * signal is reported as a shell does (128 + the signal's number).
 */
export function rerunWithNodeFlags(flags: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
