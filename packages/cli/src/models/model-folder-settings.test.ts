import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chatmlTemplate, ModelFormatError, OASST } from '@steerlm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSteeringSettings, resolveModelSteering, writeSteeringSettings } from './model-folder-settings';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steering-settings-'));
});
afterAll(() => rm(folder, { recursive: true, force: true }));

describe("a model folder's steerlm.json", () => {
  it('round-trips the schema and template, and is the default a --schema flag overrides', async () => {
    const model = join(folder, 'oasst-model');
    await mkdir(model);
    await writeSteeringSettings(model, { schema: OASST, schemaName: 'oasst', template: chatmlTemplate });
    const read = await readSteeringSettings(model);
    expect(read!.schema.names).toEqual(['quality', 'toxicity', 'humor', 'creativity']);
    expect(read!.template.name).toBe('chatml');
    const fromFolder = await resolveModelSteering(model, undefined);
    expect(fromFolder).toMatchObject({ source: 'model folder', template: { name: 'chatml' } });
    expect(fromFolder.schema.names).toHaveLength(4);
    expect(fromFolder.description).toContain('oasst (from');
    const flagged = await resolveModelSteering(model, 'steerlm');
    expect(flagged.source).toBe('option');
    expect(flagged.schema.names).toHaveLength(9);
  });

  it('defaults to steerlm without the file, for built-in models and endpoints, and names a broken file', async () => {
    expect(await resolveModelSteering('attribute-echo', undefined)).toMatchObject({ source: 'default', template: { name: 'steerlm' } });
    expect((await resolveModelSteering('http://localhost:1/v1', undefined)).source).toBe('default');
    const broken = join(folder, 'broken');
    await mkdir(broken);
    await writeFile(join(broken, 'steerlm.json'), '{"schema": {"attributes": []}, "template": "steerlm"}');
    const error = await readSteeringSettings(broken).catch((caught: unknown) => caught);
    expect(ModelFormatError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/steerlm\.json is not a valid steering settings file/);
  });
});
