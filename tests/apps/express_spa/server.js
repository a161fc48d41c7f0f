// Express 4 single page app: static files, then a catch-all route.
//
// Reproduces a Node.js front end whose catch-all route responds to every path
// that is not a file in public/, /.well-known/acme-challenge/ included, with
// status 200 and public/index.html.
//
// Express is required by its path in .test-env/node/node_modules, where
// scripts/install-test-deps.sh installs it, so no NODE_PATH is needed.
//
// Start: node tests/apps/express_spa/server.js PORT
//    or: PORT=PORT node tests/apps/express_spa/server.js
'use strict';

const path = require('path');

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const expressPath = path.join(repoRoot, '.test-env', 'node', 'node_modules', 'express');

let express;
try {
  express = require(expressPath);
} catch (err) {
  console.error(`failed to load express from ${expressPath}: ${err.message}`);
  console.error('run scripts/install-test-deps.sh to install it');
  process.exit(1);
}

const portText = process.argv[2] || process.env.PORT;
if (!portText) {
  console.error('missing port: pass it as the first argument or in the PORT environment variable');
  process.exit(2);
}
const port = Number(portText);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`invalid port ${JSON.stringify(portText)}: expected an integer from 1 to 65535`);
  process.exit(2);
}

const publicDir = path.join(__dirname, 'public');
const indexFile = path.join(publicDir, 'index.html');

const app = express();
app.use(express.static(publicDir));

// The single page app's client-side router handles every other path, so the
// server returns the same page for all of them.
app.get('*', (req, res) => {
  res.sendFile(indexFile);
});

app.listen(port, '127.0.0.1', () => {
  console.log(`express_spa listening on http://127.0.0.1:${port}`);
});
