import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AttributeEchoModel, startSteeringServer } from '@steerlm/cli';
import { expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

it('chat-app-remote steers each turn of a conversation through a remote SteerLM endpoint', async () => {
  const server = await startSteeringServer({ model: new AttributeEchoModel(), port: 0, log: () => {} });
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'chat-app-remote.ts', `${server.url}/v1`], {
      cwd: here,
      encoding: 'utf8',
    });
    const answers = stdout.split('\n').filter((line) => line.startsWith('Assistant ['));
    expect(answers).toHaveLength(2);
    expect(answers[0]).toContain('humor:4');
    expect(answers[0]).toContain('humor four');
    expect(answers[1]).toContain('humor zero');
    expect(answers[1]).toContain('verbosity three');
  } finally {
    await server.close();
  }
});
