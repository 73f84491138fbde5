#!/usr/bin/env node
// Writes (default) or checks (--check) the API report of the package in the current folder: one
// api/<entry>.api.md per entry of package.json "exports", made by API Extractor from the built .d.ts.
// Run through turbo after the build: `npm run api:update` rewrites the reports, `npm run api:check`
// fails when a report is out of date (a public name or signature changed without its report).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const check = process.argv.includes('--check');
const packageFolder = process.cwd();
const packageJsonPath = join(packageFolder, 'package.json');
const packageJson = JSON.parse(readFileSync(packageJsonPath, 'utf8'));

/** [entry name, .d.ts path] for every export with types: "." is `index`, "./kernels" is `kernels`. */
const entries = Object.entries(packageJson.exports ?? {})
  .filter(([subpath, target]) => subpath !== './package.json' && typeof target === 'object' && target.types)
  .map(([subpath, target]) => [subpath === '.' ? 'index' : subpath.slice(2).replaceAll('/', '-'), resolve(packageFolder, target.types)]);

if (entries.length === 0) {
  console.error(`${packageJson.name}: package.json has no "exports" with types`);
  process.exit(1);
}

const temp = join(tmpdir(), 'steerlm-api-report', packageJson.name.replace('/', '+'));
mkdirSync(temp, { recursive: true });
mkdirSync(join(packageFolder, 'api'), { recursive: true });
let failed = false;
for (const [entry, dts] of entries) {
  if (!existsSync(dts)) {
    console.error(`${packageJson.name}: ${dts} is missing; build the package first (turbo runs the build before this task)`);
    failed = true;
    continue;
  }
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: packageFolder,
      mainEntryPointFilePath: dts,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            module: 'ESNext',
            moduleResolution: 'Bundler',
            lib: ['ES2022', 'DOM'],
            types: ['node'],
            skipLibCheck: true,
            strict: true,
          },
        },
      },
      apiReport: { enabled: true, reportFileName: entry, reportFolder: join(packageFolder, 'api'), reportTempFolder: temp },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        // Our packages do not tag release levels; a type that is used but not exported is listed in the report.
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          'ae-missing-release-tag': { logLevel: 'none' },
          'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
          'ae-internal-missing-underscore': { logLevel: 'none' },
          'ae-unresolved-link': { logLevel: 'none' },
          'ae-undocumented': { logLevel: 'none' },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: undefined,
    packageJsonFullPath: packageJsonPath,
  });
  const result = Extractor.invoke(config, {
    localBuild: !check,
    showVerboseMessages: false,
    messageCallback: (message) => {
      if (message.messageId === 'console-compiler-version-notice') message.logLevel = 'none';
    },
  });
  const report = `api/${entry}.api.md`;
  if (check && result.apiReportChanged) {
    console.error(`${packageJson.name}: ${report} is out of date; run \`npm run api:update\` and commit the report`);
    failed = true;
  } else if (!result.succeeded) {
    console.error(`${packageJson.name}: API Extractor failed on ${report} (${result.errorCount} errors)`);
    failed = true;
  } else {
    console.log(`${packageJson.name}: ${report} ${check ? 'is up to date' : result.apiReportChanged ? 'updated' : 'unchanged'}`);
  }
}
process.exit(failed ? 1 : 0);
