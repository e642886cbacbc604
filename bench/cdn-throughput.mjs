// Cold-transform throughput: the same distinct (photo, width, format) jobs, CONCURRENCY at a
// time, either as HTTP requests to a running `bucketdesk cdn serve` or in-process with sharp
// (`sharp.concurrency(CPUS)`, cache off). Prints one line:
//   <tool> <jobs> <seconds> <transforms/s> <peak RSS MiB> <baseline RSS MiB>
// For sharp the RSS is this process's; for Bucketdesk it is the server's (SERVE_PID).
//
//   node cdn-throughput.mjs sharp <concurrency> <widths> <photo>...
//   node cdn-throughput.mjs bucketdesk <concurrency> <widths> <base> <token> <source> <key>...
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";

const [tool, concurrencyArg, widthsArg, ...rest] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const widths = widthsArg.split(",").map(Number);
const FORMATS = ["jpeg", "webp"];

function statusKb(pid, key) {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(key));
  return Number(line.replace(/[^0-9]/g, ""));
}

/** Runs `jobs` `concurrency` at a time; resolves to the wall time in seconds. */
async function pool(jobs, run) {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) await run(jobs[next++]);
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function report(jobs, seconds, pid, baselineKb) {
  const mib = (kb) => (kb / 1024).toFixed(0);
  console.log(`${tool} ${jobs} ${seconds.toFixed(2)} ${(jobs / seconds).toFixed(2)} ${mib(statusKb(pid, "VmHWM:"))} ${mib(baselineKb)}`);
}

if (tool === "sharp") {
  const require = createRequire(join(process.env.SHARP_DIR, "package.json"));
  const sharp = require("sharp");
  sharp.cache(false);
  sharp.concurrency(availableParallelism());
  const inputs = rest.map((p) => readFileSync(p));
  const jobs = inputs.flatMap((input) => widths.flatMap((w) => FORMATS.map((f) => ({ input, w, f }))));
  // One warm-up transform (libvips start-up), not counted.
  await sharp(inputs[0]).resize(64).jpeg().toBuffer();
  const baseline = statusKb(process.pid, "VmRSS:");
  const seconds = await pool(jobs, async ({ input, w, f }) => {
    const { info } = await sharp(input).resize(w)[f]().toBuffer({ resolveWithObject: true });
    if (info.width !== w) throw new Error(`sharp gave ${info.width} for w=${w}`);
  });
  report(jobs.length, seconds, process.pid, baseline);
} else {
  const [base, token, source, ...keys] = rest;
  const pid = Number(process.env.SERVE_PID);
  const path = (key) => key.split("/").map(encodeURIComponent).join("/");
  const jobs = keys.flatMap((key) => widths.flatMap((w) => FORMATS.map((f) => `${base}/image/${source}/${path(key)}?w=${w}&f=${f}&token=${token}`)));
  // One warm-up request on another size (the server's first transform), not counted.
  await (await fetch(`${base}/image/${source}/${path(keys[0])}?w=64&f=jpeg&token=${token}`)).arrayBuffer();
  const baseline = statusKb(pid, "VmRSS:");
  const seconds = await pool(jobs, async (url) => {
    for (;;) {
      const response = await fetch(url);
      const body = await response.arrayBuffer();
      // A saturated server says when to come back; the wait counts in the time.
      if (response.status === 503) {
        await new Promise((resolve) => setTimeout(resolve, 1000 * Number(response.headers.get("retry-after") ?? 1)));
        continue;
      }
      if (response.status !== 200) throw new Error(`${url}: ${response.status} ${Buffer.from(body).toString()}`);
      return;
    }
  });
  report(jobs.length, seconds, pid, baseline);
}
