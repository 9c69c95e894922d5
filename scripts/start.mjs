#!/usr/bin/env node
/**
 * `npm start`: build the page, then serve it with `vite preview` on port 4173, or on the next free
 * port when 4173 is taken (another checkout, another app), and print the address to open.
 * `freePort` is exported for its test (scripts/start.test.ts).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const DEFAULT_PORT = 4173;

/** Whether `port` can be listened on at `host` (closed again at once). */
function canListen(port, host) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (e) => {
      // no IPv6 on this machine: that host cannot clash
      resolve(e.code === 'EADDRNOTAVAIL' || e.code === 'EAFNOSUPPORT');
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * The first port from `preferred` on (at most `tries` of them) that is free on the loopback
 * addresses (IPv4 and IPv6, where `vite preview` listens for "localhost").
 */
export async function freePort(preferred = DEFAULT_PORT, tries = 50) {
  for (let port = preferred; port < preferred + tries && port <= 65535; port++) {
    if ((await canListen(port, '127.0.0.1')) && (await canListen(port, '::1'))) return port;
  }
  throw new Error(`no free port in ${preferred}-${preferred + tries - 1}`);
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')}: exit ${code}`)),
    );
  });
}

async function main() {
  const vite = fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url));
  await run(process.execPath, [vite, 'build']);
  const wanted = Number(process.env.PORT ?? DEFAULT_PORT);
  const port = await freePort(wanted);
  if (port !== wanted) console.log(`\nPort ${wanted} is taken; using ${port}.`);
  console.log(`\nICL Lab: http://localhost:${port}/\n`);
  const preview = spawn(process.execPath, [vite, 'preview', '--port', String(port), '--strictPort'], {
    stdio: 'inherit',
  });
  const stop = () => preview.kill('SIGTERM');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  preview.once('exit', (code) => process.exit(code ?? 0));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
