#pragma once
// JavaScript evaluated before every codec: minimal `console` and `Buffer`, and the dispatcher the
// bridge calls, which follows the three conventions real codecs use (TS013 decodeUplink, TTN
// legacy Decoder, ChirpStack v3 Decode). Sloppy mode, like the codecs.

namespace codecs {

inline constexpr const char* kJsPrelude = R"JS(
var console = { log: function () {}, warn: function () {}, error: function () {}, info: function () {} };
function Buffer(arr) { var b = new Uint8Array(arr); b.__proto__ = Buffer.prototype; return b; }
Buffer.prototype = Object.create(Uint8Array.prototype);
Buffer.from = function (v, enc) {
  if (typeof v === 'string' && enc === 'hex') {
    var out = []; for (var i = 0; i + 1 < v.length; i += 2) out.push(parseInt(v.substr(i, 2), 16)); return Buffer(out);
  }
  if (typeof v === 'string') { var o = []; for (var j = 0; j < v.length; j++) o.push(v.charCodeAt(j) & 255); return Buffer(o); }
  return Buffer(v);
};
Buffer.prototype.readUInt8 = function (o) { return this[o]; };
Buffer.prototype.readInt8 = function (o) { var v = this[o]; return v > 127 ? v - 256 : v; };
Buffer.prototype.readUInt16BE = function (o) { return (this[o] << 8) | this[o + 1]; };
Buffer.prototype.readUInt16LE = function (o) { return (this[o + 1] << 8) | this[o]; };
Buffer.prototype.readInt16BE = function (o) { var v = this.readUInt16BE(o); return v > 32767 ? v - 65536 : v; };
Buffer.prototype.readInt16LE = function (o) { var v = this.readUInt16LE(o); return v > 32767 ? v - 65536 : v; };
Buffer.prototype.readUInt32BE = function (o) { return ((this[o] << 24) >>> 0) + ((this[o + 1] << 16) | (this[o + 2] << 8) | this[o + 3]); };
Buffer.prototype.readUInt32LE = function (o) { return ((this[o + 3] << 24) >>> 0) + ((this[o + 2] << 16) | (this[o + 1] << 8) | this[o]); };
Buffer.prototype.readInt32BE = function (o) { return this.readUInt32BE(o) | 0; };
Buffer.prototype.readInt32LE = function (o) { return this.readUInt32LE(o) | 0; };
Buffer.prototype.toString = function (enc) {
  var s = ''; for (var i = 0; i < this.length; i++) s += enc === 'hex' ? ('0' + this[i].toString(16)).slice(-2) : String.fromCharCode(this[i]);
  return s;
};
function __lbDecode(bytes, fPort, recvMs, variables) {
  var i = { bytes: bytes, fPort: fPort, recvTime: recvMs, variables: JSON.parse(variables) };
  var r;
  if (typeof decodeUplink === 'function') r = decodeUplink({ bytes: i.bytes, fPort: i.fPort, recvTime: new Date(i.recvTime), variables: i.variables });
  else if (typeof Decoder === 'function') r = { data: Decoder(i.bytes, i.fPort) };
  else if (typeof Decode === 'function') r = { data: Decode(i.fPort, i.bytes, i.variables) };
  else throw new Error('the codec defines none of decodeUplink, Decoder or Decode');
  return JSON.stringify(r === undefined ? null : r);
}
function __lbDecodeDownlink(bytes, fPort) {
  if (typeof decodeDownlink !== 'function') throw new Error('the codec defines no decodeDownlink');
  var r = decodeDownlink({ bytes: bytes, fPort: fPort });
  return JSON.stringify(r === undefined ? null : r);
}
function __lbEncode(json) {
  var i = JSON.parse(json);
  var r;
  if (typeof encodeDownlink === 'function') r = encodeDownlink({ data: i.data, variables: i.variables });
  else if (typeof Encoder === 'function') r = { bytes: Encoder(i.data, i.fPort), fPort: i.fPort };
  else if (typeof Encode === 'function') r = { bytes: Encode(i.fPort, i.data, i.variables), fPort: i.fPort };
  else throw new Error('the codec defines none of encodeDownlink, Encoder or Encode');
  if (r && r.bytes && typeof r.bytes.length === 'number') r.bytes = Array.prototype.slice.call(r.bytes);
  return JSON.stringify(r === undefined ? null : r);
}
)JS";

}  // namespace codecs
