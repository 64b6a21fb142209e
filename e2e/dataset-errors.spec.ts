import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/PlaygroundPage';

const DIR = 'public/datasets/fashion-mnist/';
const read = (file: string) => readFileSync(DIR + file);

test.describe('a bad dataset file', () => {
  test('a truncated gzip file names the file and the damage, and Retry recovers', async ({ page }) => {
    const whole = read('t10k-images-idx3-ubyte.gz');
    await page.route('**/t10k-images-idx3-ubyte.gz', (route) =>
      route.fulfill({ status: 200, contentType: 'application/gzip', body: whole.subarray(0, 100_000) }),
    );
    const app = new PlaygroundPage(page);
    await app.goto();
    await app.waitForDataset('error');
    await expect(app.datasetError).toContainText('t10k-images-idx3-ubyte.gz: the gzip data is corrupt or truncated');
    await expect(app.datasetError).toContainText('after 100000 compressed bytes');
    await expect(app.samples).toHaveCount(0);

    // The broken copy was not cached: once the server is fixed, Retry loads the real file.
    await page.unroute('**/t10k-images-idx3-ubyte.gz');
    await app.datasetRetry.click();
    await app.waitForDataset('ready');
    expect(await app.samples.count()).toBeGreaterThanOrEqual(10);
  });

  test('a valid gzip stream holding a truncated IDX file says how much is missing', async ({ page }) => {
    const labels = gunzipSync(read('t10k-labels-idx1-ubyte.gz'));
    const truncated = gzipSync(labels.subarray(0, 8 + 5000));
    await page.route('**/t10k-labels-idx1-ubyte.gz', (route) => route.fulfill({ status: 200, contentType: 'application/gzip', body: truncated }));
    const app = new PlaygroundPage(page);
    await app.goto();
    await app.waitForDataset('error');
    await expect(app.datasetError).toHaveText('t10k-labels-idx1-ubyte.gz: truncated: the header promises 10000 values [10000], the file has 5000');
  });

  test('a file with the wrong magic number is rejected', async ({ page }) => {
    const labels = Buffer.from(gunzipSync(read('train-labels-idx1-ubyte.gz')));
    labels.writeUInt32BE(0x00000d01, 0);
    await page.route('**/train-labels-idx1-ubyte.gz', (route) => route.fulfill({ status: 200, contentType: 'application/gzip', body: gzipSync(labels) }));
    const app = new PlaygroundPage(page);
    await app.goto();
    await app.waitForDataset('error');
    await expect(app.datasetError).toHaveText('train-labels-idx1-ubyte.gz: element type 0xd is not supported (only unsigned bytes, 0x08)');
  });

  test('a missing file gives the HTTP status and the address', async ({ page }) => {
    await page.route('**/train-images-idx3-ubyte.gz', (route) => route.fulfill({ status: 404, body: 'Not Found' }));
    const app = new PlaygroundPage(page);
    await app.goto();
    await app.waitForDataset('error');
    await expect(app.datasetError).toContainText('train-images-idx3-ubyte.gz: HTTP 404');
    await expect(app.datasetError).toContainText('/datasets/fashion-mnist/train-images-idx3-ubyte.gz');
  });
});
