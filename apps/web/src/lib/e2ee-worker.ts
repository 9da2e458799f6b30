// The Worker that runs SFrame for the page (issue 9): frames are encrypted after encoding and decrypted before
// decoding here, off the main thread. MLS stays on the page; only each epoch's SFrame base key comes across.
import { serveE2eeKeyring, type KeyringPort } from '@darktower/client/e2ee-worker';

serveE2eeKeyring(self as unknown as KeyringPort);
