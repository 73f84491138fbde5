import { selectBackend } from './backend';
import { DecoderModel } from './models/decoder-model';
import { OnnxruntimeDecoder } from './models/onnxruntime-decoder';
await selectBackend({ prefer: 'cpu', strict: true });
const model = await DecoderModel.load(process.argv[2]!);
for (const worker of [false, true, false, true]) {
  const d = await OnnxruntimeDecoder.create(model, { worker });
  const s = d.startDecode();
  const B = Number(process.argv[3] ?? 16);
  await s.prefill(Array.from({ length: B }, (_, r) => [1, 2, 3, 4, 5, r + 6]));
  const t0 = performance.now(); const c0 = process.cpuUsage();
  const N = 200;
  for (let i = 0; i < N; i++) await s.step(Array.from({ length: B }, (_, r) => (i + r) % 300));
  const ms = (performance.now() - t0) / N; const cpu = process.cpuUsage(c0);
  console.log(`worker=${worker} B=${B} ${ms.toFixed(3)} ms/step wall, process cpu ${((cpu.user + cpu.system) / 1000 / N).toFixed(3)} ms/step`);
  s.dispose(); d.release();
}
