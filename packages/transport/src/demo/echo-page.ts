// The page of the echo demo and the browser test: opens a WebTransport session with a pinned certificate hash,
// runs a bidi echo, reads the server's uni stream and echoes datagrams, and reports into window.__result.
export function echoPageHtml(options: { url: string; hash: Uint8Array }): string {
  const hash = JSON.stringify([...options.hash]);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Dark Tower WebTransport echo</title></head>
<body><h1>WebTransport echo</h1><pre id="log"></pre>
<script type="module">
const log = (line) => { document.getElementById('log').textContent += line + '\\n'; };
const result = { ok: false, steps: [] };
window.__result = result;
try {
  const transport = new WebTransport(${JSON.stringify(options.url)}, {
    serverCertificateHashes: [{ algorithm: 'sha-256', value: new Uint8Array(${hash}) }],
  });
  await transport.ready;
  log('session ready'); result.steps.push('ready');
  result.maxDatagramSize = transport.datagrams.maxDatagramSize;

  const uniReader = transport.incomingUnidirectionalStreams.getReader();
  const uni = await uniReader.read();
  result.greeting = await new Response(uni.value).text();
  log('server uni stream: ' + result.greeting);

  // A uni stream from the page; the server answers on a new uni stream of its own.
  const up = (await transport.createUnidirectionalStream()).getWriter();
  await up.write(new TextEncoder().encode('page uni stream'));
  await up.close();
  const uniBack = await uniReader.read();
  result.uniEcho = await new Response(uniBack.value).text();
  log('uni echo: ' + result.uniEcho);

  const bidi = await transport.createBidirectionalStream();
  const w = bidi.writable.getWriter();
  const sent = new TextEncoder().encode('ping over a bidi stream');
  await w.write(sent); await w.close();
  result.bidiEcho = await new Response(bidi.readable).text();
  log('bidi echo: ' + result.bidiEcho);

  // 50 bidi streams at once, each with its own bytes. Bounded in time: a stream whose echo never arrives (a known,
  // intermittent defect) is reported as stalled instead of holding up the steps after it.
  let echoed = 0;
  const many = Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const s = await transport.createBidirectionalStream();
    const sw = s.writable.getWriter();
    await sw.write(new TextEncoder().encode('stream ' + i));
    await sw.close();
    if ((await new Response(s.readable).text()) === 'stream ' + i) echoed++;
  }));
  result.concurrentStalled = !(await Promise.race([
    many.then(() => true),
    new Promise((res) => setTimeout(() => res(false), 30000)),
  ]));
  result.concurrentOk = echoed;
  log('50 concurrent streams echoed: ' + result.concurrentOk + (result.concurrentStalled ? ' (stalled)' : ''));

  // 4 MB through a bidi echo, compared by SHA-256: exercises flow control both ways.
  const big = new Uint8Array(4 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
  const t0 = performance.now();
  const bulk = await transport.createBidirectionalStream();
  const bw = bulk.writable.getWriter();
  const sending = (async () => {
    for (let i = 0; i < big.length; i += 65536) await bw.write(big.subarray(i, i + 65536));
    await bw.close();
  })();
  const back = new Uint8Array(await new Response(bulk.readable).arrayBuffer());
  await sending;
  const hex = async (b) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))].map((x) => x.toString(16).padStart(2, '0')).join('');
  result.bulkBytes = back.length;
  result.bulkIntact = back.length === big.length && (await hex(back)) === (await hex(big));
  log('4 MB echo: ' + (result.bulkIntact ? 'intact' : 'CORRUPT') + ' in ' + Math.round(performance.now() - t0) + ' ms');

  const dw = transport.datagrams.writable.getWriter();
  const dr = transport.datagrams.readable.getReader();
  const got = [];
  for (let i = 0; i < 5 && got.length === 0; i++) {
    await dw.write(new TextEncoder().encode('datagram ' + i));
    const r = await Promise.race([dr.read(), new Promise((res) => setTimeout(() => res(null), 500))]);
    if (r && r.value) got.push(new TextDecoder().decode(r.value));
  }
  result.datagramEcho = got[0];
  log('datagram echo: ' + result.datagramEcho);

  transport.close({ closeCode: 7, reason: 'page done' });
  result.ok = true;
} catch (e) {
  result.error = String(e && e.stack || e);
  log('error: ' + result.error);
}
result.done = true;
</script></body></html>`;
}
