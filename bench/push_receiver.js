// A receiver for bench/push.sh: answers every request 204 at once, keep-alive, and counts them.
// Prints "listening PORT" on stdout when ready. Node's http server, one thread.
"use strict";
const http = require("http");
let count = 0;
const server = http.createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    count++;
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 120000;
server.listen(0, "127.0.0.1", () => console.log("listening " + server.address().port));
process.on("SIGTERM", () => {
  console.error("received " + count);
  process.exit(0);
});
