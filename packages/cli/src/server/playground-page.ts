export interface PlaygroundPageOptions {
  /** The served model's name, shown in the title. */
  readonly modelId: string;
  /** Show an API key field (the server was started with --api-key). */
  readonly needsApiKey: boolean;
  /**
   * The static playground (`steerlm playground`): no server; the user picks an exported model folder and
   * the page runs it with onnxruntime-web through the bundle `playground.js` served beside the page.
   */
  readonly inPage?: boolean;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const style = `
  :root { font-family: system-ui, sans-serif; color: #1d1d1f; background: #f7f7f8; }
  body { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem; }
  h1 { font-size: 1.3rem; margin: 0.2rem 0 1rem; }
  textarea { width: 100%; min-height: 5rem; font: inherit; padding: 0.5rem; box-sizing: border-box; }
  .row { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; margin: 0.6rem 0; }
  .columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
  .columns.single { grid-template-columns: 1fr; }
  .columns.single #panel-b { display: none; }
  .panel { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 0.8rem; }
  .panel h2 { font-size: 1rem; margin: 0 0 0.5rem; }
  .slider { display: grid; grid-template-columns: 8.5rem 1fr 1.5rem; gap: 0.5rem; align-items: center; font-size: 0.9rem; }
  .label { font-family: ui-monospace, monospace; font-size: 0.8rem; color: #555; margin: 0.4rem 0; word-break: break-all; }
  pre { white-space: pre-wrap; min-height: 6rem; background: #fafafa; border: 1px solid #eee; padding: 0.6rem; margin: 0; }
  button { font: inherit; padding: 0.45rem 1.2rem; border-radius: 6px; border: 1px solid #0a58ca; background: #0d6efd; color: #fff; cursor: pointer; }
  button:disabled { opacity: 0.6; cursor: default; }
  #status { color: #555; font-size: 0.9rem; }
`;

const script = `
(() => {
  const byId = (id) => document.getElementById(id);
  const sides = ['a', 'b'];
  let schema = null;
  const inPage = document.body.dataset.mode === 'in-page';

  function headers() {
    const result = { 'content-type': 'application/json' };
    const key = byId('api-key');
    if (key && key.value) result.authorization = 'Bearer ' + key.value;
    return result;
  }

  function values(side) {
    const result = {};
    for (const attribute of schema.attributes) result[attribute.name] = Number(byId('slider-' + side + '-' + attribute.name).value);
    return result;
  }

  function guidance(side) {
    return Number(byId('guidance-' + side).value);
  }

  function showLabel(side) {
    const scale = guidance(side);
    byId('label-' + side).textContent =
      schema.attributes.map((attribute) => attribute.name + ':' + byId('slider-' + side + '-' + attribute.name).value).join(',') +
      (scale === 1 ? '' : ' · guidance ' + scale);
  }

  function buildSliders(side) {
    const box = byId('sliders-' + side);
    box.textContent = '';
    for (const attribute of schema.attributes) {
      const row = document.createElement('label');
      row.className = 'slider';
      row.title = attribute.description || attribute.name;
      const name = document.createElement('span');
      name.textContent = attribute.name;
      const input = document.createElement('input');
      input.type = 'range';
      input.min = String(attribute.min);
      input.max = String(attribute.max);
      input.step = '1';
      input.value = String(attribute.default ?? attribute.min);
      input.id = 'slider-' + side + '-' + attribute.name;
      input.setAttribute('aria-label', side.toUpperCase() + ' ' + attribute.name);
      const shown = document.createElement('output');
      shown.id = 'value-' + side + '-' + attribute.name;
      shown.textContent = input.value;
      input.addEventListener('input', () => { shown.textContent = input.value; showLabel(side); });
      row.append(name, input, shown);
      box.append(row);
    }
    const strength = byId('guidance-' + side);
    strength.addEventListener('input', () => { byId('guidance-value-' + side).textContent = strength.value; showLabel(side); });
    showLabel(side);
  }

  function useSchema(body, note) {
    schema = body;
    sides.forEach(buildSliders);
    byId('max-tokens').max = String(body.limits.max_tokens);
    byId('send').disabled = false;
    byId('status').textContent = (note ? note + ' ' : '') + 'Ready: ' + body.attributes.length + ' attributes, template ' + body.template + '.';
  }

  async function loadSchema() {
    if (inPage) return;
    const response = await fetch('/v1/steerlm/schema', { headers: headers() });
    const body = await response.json();
    if (!response.ok) { byId('status').textContent = 'Cannot load the schema: ' + (body.error ? body.error.message : response.status); return; }
    useSchema(body);
  }

  // In the page: the model runs in this tab (playground.js, onnxruntime-web); sampling as in Node.
  async function runInPage(side, output) {
    const number = (id) => (byId(id).value === '' ? undefined : Number(byId(id).value));
    const request = {
      prompt: byId('prompt').value,
      attributes: values(side),
      guidance: guidance(side),
      maxTokens: Number(byId('max-tokens').value),
      temperature: Number(byId('temperature').value),
      topP: number('top-p'),
      topK: number('top-k'),
      seed: number('seed'),
    };
    for await (const progress of window.steerlmPlayground.steer(request)) {
      output.textContent = progress.text;
      if (progress.done) {
        output.dataset.tokens = JSON.stringify(progress.tokens);
        output.dataset.finishReason = progress.finishReason;
        output.dataset.rows = JSON.stringify(progress.rows);
        // Where it ran, where the key/value cache lived, what each step read back, and the speed.
        output.dataset.decode = JSON.stringify(progress.decode);
        const decode = progress.decode;
        if (decode) output.title = decode.decodeTokensPerSecond.toFixed(1) + ' tokens/s on ' + decode.executionProvider + ', key/value cache on the ' + (decode.kvCache === 'gpu-buffer' ? 'GPU' : 'CPU');
      }
    }
  }

  async function run(side) {
    const output = byId('output-' + side);
    output.textContent = '';
    output.dataset.done = 'false';
    delete output.dataset.tokens;
    delete output.dataset.rows;
    delete output.dataset.decode;
    output.removeAttribute('title');
    try {
      if (inPage) return await runInPage(side, output);
      const response = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: headers(),
        body: JSON.stringify({
          messages: [{ role: 'user', content: byId('prompt').value }],
          max_tokens: Number(byId('max-tokens').value),
          temperature: Number(byId('temperature').value),
          stream: true,
          // Guidance 1 is plain SteerLM: sent only when moved, as neutral + s·(conditioned − neutral) against the unlabelled prompt.
          steerlm: guidance(side) === 1 ? { attributes: values(side) } : { attributes: values(side), guidance: guidance(side) },
        }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        output.textContent = 'Error ' + response.status + ': ' + (body && body.error ? body.error.message : response.statusText);
        return;
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\\n\\n')) !== -1) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of event.split('\\n')) {
            if (!line.startsWith('data: ')) continue;
            const data = line.slice(6);
            if (data === '[DONE]') continue;
            const chunk = JSON.parse(data);
            if (chunk.error) { output.textContent += '\\n[error] ' + chunk.error.message; continue; }
            const choice = chunk.choices && chunk.choices[0];
            if (choice && choice.delta && choice.delta.content) output.textContent += choice.delta.content;
          }
        }
      }
    } catch (error) {
      output.textContent += '\\n[error] ' + error.message;
    } finally {
      output.dataset.done = 'true';
    }
  }

  async function send() {
    byId('send').disabled = true;
    byId('status').textContent = 'Generating…';
    const compare = byId('compare').checked;
    // In the page the two settings decode one after the other (one onnxruntime-web session).
    if (inPage) for (const side of compare ? sides : ['a']) await run(side);
    else await Promise.all(compare ? sides.map(run) : [run('a')]);
    byId('status').textContent = 'Done.';
    byId('send').disabled = false;
  }

  byId('compare').addEventListener('change', (event) => byId('columns').classList.toggle('single', !event.target.checked));
  // Half steps: a value such as humor 2.5 interpolates the logits of humor 2 and humor 3.
  byId('half-steps').addEventListener('change', (event) => {
    for (const side of sides) {
      for (const attribute of schema ? schema.attributes : []) {
        const input = byId('slider-' + side + '-' + attribute.name);
        input.step = event.target.checked ? '0.5' : '1';
        if (!event.target.checked) input.value = String(Math.round(Number(input.value)));
        byId('value-' + side + '-' + attribute.name).textContent = input.value;
      }
      showLabel(side);
    }
  });
  byId('send').addEventListener('click', send);
  byId('prompt').addEventListener('keydown', (event) => { if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) send(); });
  const key = byId('api-key');
  if (key) key.addEventListener('change', loadSchema);
  window.addEventListener('steerlm-model', (event) => useSchema(event.detail, event.detail.note));
  loadSchema().catch((error) => { byId('status').textContent = 'Cannot load the schema: ' + error.message; });
})();
`;

/**
 * Returns the playground's HTML: self-contained (inline CSS and JS, no external resources) for the
 * server, or with the in-page bundle `./playground.js` and a model folder picker for the static playground.
 */
export function playgroundPage(options: PlaygroundPageOptions): string {
  const apiKeyField = options.needsApiKey ? '<label>API key <input id="api-key" type="password" autocomplete="off" size="24"></label>' : '';
  const inPage = options.inPage === true;
  const modelRow = inPage
    ? `<div class="row">
  <label title="pick the folder that steerlm export wrote">Model folder <input id="model-folder" type="file" webkitdirectory></label>
  <label title="or pick its files: config.json, tokenizer.json, tokenizer_config.json, steerlm.json, onnx/model.onnx">or its files <input id="model-files" type="file" multiple></label>
</div>`
    : '';
  const samplingFields = inPage
    ? `<label>top-p <input id="top-p" type="number" min="0.01" max="1" step="0.05" value="1" style="width:4rem"></label>
  <label>top-k <input id="top-k" type="number" min="0" step="1" value="0" style="width:4rem"></label>
  <label title="empty: a new draw each time">seed <input id="seed" type="number" step="1" value="" style="width:5rem"></label>`
    : '';
  const panel = (side: string, title: string): string => `
    <section class="panel" id="panel-${side}">
      <h2>${title}</h2>
      <div id="sliders-${side}"></div>
      <label class="slider" title="Steering strength s: neutral + s·(conditioned − neutral), the neutral prompt being the unlabelled one; 1 is plain SteerLM">
        <span>guidance</span><input type="range" id="guidance-${side}" min="0" max="4" step="0.25" value="1" aria-label="${side.toUpperCase()} guidance">
        <output id="guidance-value-${side}">1</output>
      </label>
      <div class="label" id="label-${side}"></div>
      <pre id="output-${side}" aria-live="polite"></pre>
    </section>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SteerLM playground · ${escapeHtml(options.modelId)}</title>
<style>${style}</style>
</head>
<body data-mode="${inPage ? 'in-page' : 'server'}">
<h1>SteerLM playground · <code>${escapeHtml(options.modelId)}</code></h1>
${modelRow}
<textarea id="prompt" aria-label="Prompt">Tell me a joke about cats.</textarea>
<div class="row">
  <button id="send" disabled>Send</button>
  <label><input id="compare" type="checkbox" checked> Compare two settings side by side</label>
  <label title="a value such as humor 2.5 mixes the logits of humor 2 and humor 3"><input id="half-steps" type="checkbox"> Half steps (interpolate)</label>
  <label>max tokens <input id="max-tokens" type="number" min="1" value="128" style="width:5rem"></label>
  <label>temperature <input id="temperature" type="number" min="0" max="2" step="0.1" value="0.7" style="width:4rem"></label>
  ${samplingFields}
  ${apiKeyField}
  <span id="status">${inPage ? 'Pick an exported model folder: it runs in this page, nothing is uploaded.' : 'Loading the attribute schema…'}</span>
</div>
<div class="columns" id="columns">${panel('a', 'Setting A')}${panel('b', 'Setting B')}
</div>
<script>${script}</script>${inPage ? '\n<script type="module" src="./playground.js"></script>' : ''}
</body>
</html>
`;
}
