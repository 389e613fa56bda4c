// Drives the npm `akismet-api` client (6.x, the one Coral Talk uses) against our service.
// Usage: node akismet_api_check.js HOSTPORT KEY BLOG  -> prints one JSON line of results.
// akismet-api sends comment-check to `${protocol}://${key}.${host}/1.1/...` (the key in the Host,
// as Akismet's own hosts do); every name under `.localhost` is this machine, as RFC 6761 says,
// so lookups of such names are answered with 127.0.0.1 here (Node does not do it by itself).
const dns = require('dns')
const http = require('http')
const realLookup = dns.lookup
function lookup(hostname, options, callback) {
  if (typeof options === 'function') { callback = options; options = {} }
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (options && options.all) return process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }])
    return process.nextTick(callback, null, '127.0.0.1', 4)
  }
  return realLookup(hostname, options, callback)
}
dns.lookup = lookup
http.globalAgent.options.lookup = lookup

const { AkismetClient } = require('akismet-api')
const [host, key, blog] = process.argv.slice(2)
const client = new AkismetClient({ key, blog, host, protocol: 'http' })
const bad = new AkismetClient({ key: 'zzzzzzzzzzzz', blog, host, protocol: 'http' })
const reader = { ip: '203.0.113.8', useragent: 'Mozilla/5.0', type: 'comment' }

async function main() {
  const out = {}
  out.valid = await client.verifyKey()
  out.invalid = await bad.verifyKey()
  out.ham = await client.checkSpam({ ...reader, name: 'Ada', content: process.env.HAM })
  out.spam = await client.checkSpam({ ...reader, name: 'Bob', content: process.env.SPAM })
  out.trigger = await client.checkSpam({ ...reader, name: 'viagra-test-123', content: 'hi' })
  out.admin = await client.checkSpam({ ...reader, role: 'administrator', content: process.env.SPAM })
  const submitted = await client.submitSpam({ ...reader, name: 'Ada', content: process.env.HAM })
  out.submitted = submitted.text
  try { await bad.checkSpam({ ...reader, content: 'hi' }); out.badKey = 'accepted' }
  catch (error) { out.badKey = error.message }
  console.log(JSON.stringify(out))
}
main().catch((error) => { console.error(error); process.exit(1) })
