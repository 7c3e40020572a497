// The same decodeUplink call in node, called directly (bench/codecs.sh): `node codec_node.js
// FILE.js HEX FPORT [CALLS]`. Prints the median of 5 rounds in microseconds per call. The input
// object and its bytes array are made per call, as the bridge makes them.
const fs = require('fs');
const vm = require('vm');
const [file, hex, fport, callsArg] = process.argv.slice(2);
const calls = Number(callsArg || 20000);
const ctx = vm.createContext({ Buffer, console }); // what the bridge's prelude offers, natively
vm.runInContext(fs.readFileSync(file, 'utf8'), ctx);
const bytes = [];
for (let i = 0; i + 1 < hex.length; i += 2) bytes.push(parseInt(hex.substr(i, 2), 16));
const decode = ctx.decodeUplink;
const call = () => decode({ bytes: bytes.slice(), fPort: Number(fport), recvTime: new Date(1700000000000), variables: {} });
for (let i = 0; i < 2000; i++) call();
const rounds = [];
for (let r = 0; r < 5; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) call();
  rounds.push(Number(process.hrtime.bigint() - t0) / 1000 / calls);
}
rounds.sort((a, b) => a - b);
console.log(rounds[2].toFixed(3));
