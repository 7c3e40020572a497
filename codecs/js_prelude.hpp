#pragma once
// JavaScript evaluated before every codec: minimal `console` and `Buffer`, as the device
// repository's codecs expect. Nothing of the bridge's own is in the codec's reach: the bridge
// calls the codec's functions and reads their results through the engine's API. Sloppy mode,
// like the codecs.

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
)JS";

}  // namespace codecs
