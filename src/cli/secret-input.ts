// Reads the account mnemonic without it ever touching argv (where `ps` would show it): from a
// file, from piped stdin, or from a prompt that does not echo.

import { readFileSync } from 'node:fs';

export async function readMnemonic(file: string | undefined): Promise<string> {
  if (file !== undefined) return normalise(readFileSync(file, 'utf8'));
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return normalise(Buffer.concat(chunks).toString('utf8'));
  }
  return normalise(await promptHidden('Mnemonic (12 or 24 words, not shown): '));
}

function normalise(s: string): string {
  return s.trim().split(/\s+/).join(' ');
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let text = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}
