// Reads one JSON object per line on stdin, {secret, headers, body}, and verifies each with the
// npm `standardwebhooks` package (an implementation independent of Spool's). Prints one line per
// input: "ok" or "fail <reason>". Exits 0 when every line was read, whatever the verdicts.
"use strict";
const { Webhook } = require("standardwebhooks");
const readline = require("readline");

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (!line.trim()) return;
  const { secret, headers, body } = JSON.parse(line);
  try {
    new Webhook(secret).verify(body, headers);
    console.log("ok");
  } catch (e) {
    console.log("fail " + String(e.message).replace(/\s+/g, " "));
  }
});
