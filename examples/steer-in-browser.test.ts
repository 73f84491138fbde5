import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

it('steer-in-browser prints the playground URL, serves the page and the schema, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'steer-in-browser.ts', 'attribute-echo', '0'], { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let url: string | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    const match = /^playground: (http:\/\/127\.0\.0\.1:\d+)\/$/.exec(line);
    if (match) {
      url = match[1];
      break;
    }
  }
  expect(url).toBeDefined();
  const page = await (await fetch(`${url}/`)).text();
  expect(page).toContain('SteerLM playground');
  const schema = (await (await fetch(`${url}/v1/steerlm/schema`)).json()) as { attributes: { name: string }[] };
  expect(schema.attributes.map((attribute) => attribute.name)).toContain('humor');
  child.kill('SIGTERM');
  const [code] = await exited;
  expect(code).toBe(0);
});
