import puppeteer, { type Browser } from "puppeteer-core";

/** Debian's chromium, which `npm test` installs (scripts/test-prerequisites.mjs); ROSETTA_CHROMIUM names another. */
const chromium = process.env.ROSETTA_CHROMIUM ?? "/usr/bin/chromium";

/** Starts a headless chromium for puppeteer-core; a browser that cannot start fails the test, naming the fix. */
export async function launchChromium(): Promise<Browser> {
  try {
    return await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      // The tests run as root, where chromium's sandbox cannot start.
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
      timeout: 30_000,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new Error(`chromium (${chromium}) could not be started: ${reason} — install it with: apt-get install -y chromium`);
  }
}
