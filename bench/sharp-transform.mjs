// Times sharp on the same work as bench/cdn_transform.rs: node sharp-transform.mjs <runs> <photo>...
// sharp is resolved from SHARP_DIR (the bench's npm cache dir), not from the repository.
// Two settings per photo: sharp's default ("sharp": JPEG shrink-on-load down to 1x of the
// resize) and like for like with Bucketdesk ("sharp-lfl": fastShrinkOnLoad false, which keeps
// at least 2x for the Lanczos3 resize, as the pipeline does).
// With BENCH_PNG_DIR set, also writes each photo's 400 px PNG there (<tool>-<file>.png).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";

const require = createRequire(join(process.env.SHARP_DIR, "package.json"));
const sharp = require("sharp");
sharp.cache(false); // every run starts from the original bytes

const [runs, ...photos] = process.argv.slice(2);
const settings = [
  ["sharp", {}],
  ["sharp-lfl", { fastShrinkOnLoad: false }],
];
for (const path of photos) {
  const input = readFileSync(path);
  for (const [tool, options] of settings) {
    for (const format of ["jpeg", "webp", "avif"]) {
      const once = () => sharp(input).resize(400, null, options)[format]().toBuffer({ resolveWithObject: true });
      let out = await once();
      const times = [];
      for (let i = 0; i < Number(runs); i++) {
        const started = process.hrtime.bigint();
        out = await once();
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      times.sort((a, b) => a - b);
      const { info, data } = out;
      console.log(
        `${tool} ${basename(path)} ${format} ${times[times.length >> 1].toFixed(1)} ${data.length} ${info.width}x${info.height}`,
      );
    }
    if (process.env.BENCH_PNG_DIR) {
      await sharp(input).resize(400, null, options).png().toFile(join(process.env.BENCH_PNG_DIR, `${tool}-${basename(path)}.png`));
    }
  }
}
