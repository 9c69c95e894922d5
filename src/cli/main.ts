/**
 * The headless command: `npm run cli -- <command> ...`.
 *   baselines  classical estimators' ICL curves on a task
 *   train      train models on a task and compare them with the baselines
 *   table1     the paper's Table 1 from a sweep's runs (verdicts), or a sweep plan for it
 */

import { BASELINES_USAGE, runBaselines } from './baselines';
import { isBatchThread, serveBatchThread } from './batch-thread';
import { UsageError } from './task-args';

const USAGE = `ICL Lab command line
usage: npm run cli -- <command> [options]
commands:
  baselines   classical baselines' error per number of in-context examples
  train       train models on a task (see 'npm run cli -- train --help')
  tasks       list the tasks and their parameters
  table1      the paper's Table 1 from a sweep's runs, or a sweep plan (see 'table1 --help')

${BASELINES_USAGE}`;

type Command = (argv: string[]) => Promise<number>;

async function loadTrain(): Promise<Command> {
  const module = await import('./train');
  return module.runTrain;
}

async function listTasks(): Promise<number> {
  const { TASKS } = await import('../tasks');
  const { describeTaskParams } = await import('./task-args');
  for (const t of TASKS)
    console.log(`${t.name}\n  ${t.title}: ${t.summary}\n${describeTaskParams(t.name)}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'baselines':
        return await runBaselines(rest);
      case 'train':
        return await (await loadTrain())(rest);
      case 'tasks':
        return await listTasks();
      case 'table1':
        return await (await import('./table1')).runTable1(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        console.error(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    console.error(`error: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

if (isBatchThread()) {
  // a worker thread making training batches ahead (batch-thread.ts), not a command
  serveBatchThread();
} else {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
