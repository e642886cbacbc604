// The app shell: it starts, every page is reachable from the navigation, and the language
// switch changes the UI at once and survives a restart; every page's controls are labelled
// for screen readers.
import assert from "node:assert/strict";
import { test } from "node:test";

import { withApp } from "./harness.mjs";

const PAGES = ["sources", "iam", "buckets", "settings"];

/** The value of the first `language` field anywhere in the config, or undefined. */
function languageIn(config) {
  if (config === null || typeof config !== "object") return undefined;
  if (typeof config.language === "string") return config.language;
  for (const value of Object.values(config)) {
    const found = languageIn(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

async function waitForSavedLanguage(app, language) {
  const deadline = Date.now() + 10000;
  let seen;
  while (Date.now() < deadline) {
    seen = languageIn(app.readConfig());
    if (seen === language) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(
    `config.json in ${app.configDir} should record language "${language}" after switching; ` +
      `it has ${JSON.stringify(app.readConfig())}`,
  );
}

test("shell: navigation and the language switch, kept across a restart", async () => {
  const configDir = await withApp({ name: "shell" }, async (app) => {
    await app.byTestId("app-title");
    await app.screenshot("01-start");

    for (const page of PAGES) {
      await (await app.byTestId(`nav-${page}`)).click();
      await app.byTestId(`page-${page}`);
      // What the page shows once its first answer is in (a list, or why there is none).
      await app.nextPaint();
      await app.assertLabelled(`the ${page} page`);
    }

    await app.waitForText("nav-settings", "Settings");
    const language = await app.byTestId("language-select");

    await language.selectByValue("ko");
    await app.waitForText("nav-settings", "설정");
    await app.assertLabelled("the settings page in Korean");
    await app.screenshot("02-korean");

    await language.selectByValue("en");
    await app.waitForText("nav-settings", "Settings");
    await app.screenshot("03-english");
    await waitForSavedLanguage(app, "en");

    // Leave it on Korean for the restart below.
    await language.selectByValue("ko");
    await app.waitForText("nav-settings", "설정");
    await waitForSavedLanguage(app, "ko");
    return app.configDir;
  });

  await withApp({ name: "shell-restart", configDir }, async (app) => {
    // The process locale is English: Korean can only come from the saved choice.
    await app.waitForText("nav-settings", "설정");
    await app.screenshot("04-korean-after-restart");
  });
});
