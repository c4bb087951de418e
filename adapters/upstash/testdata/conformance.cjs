// Drives a REST endpoint with Upstash's own client (@upstash/redis) and
// fails on the first answer that differs from what the real service gives.
// Used by conformance_test.go to keep the test shim honest.
const { Redis } = require("@upstash/redis");

const url = process.env.UPSTASH_URL;
const token = process.env.UPSTASH_TOKEN;

function check(what, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`);
  console.log(`ok ${what}`);
}

async function main() {
  const redis = new Redis({ url, token, automaticDeserialization: false });

  check("set", await redis.set("k", "v1"), "OK");
  check("get", await redis.get("k"), "v1");
  check("get missing", await redis.get("missing"), null);
  check("incr", await redis.incr("n"), 1);
  check("incrby", await redis.incrby("n", 41), 42);

  const text = "héllo ✓ \u0000 {\"json\": [1]}";
  await redis.set("unicode", text);
  check("base64 round trip", await redis.get("unicode"), text);

  const p = redis.pipeline();
  p.set("a", "1");
  p.incr("a");
  p.get("a");
  check("pipeline", await p.exec(), ["OK", 2, "2"]);

  const tx = redis.multi();
  tx.set("b", "x");
  tx.get("b");
  tx.del("b");
  check("multi-exec", await tx.exec(), ["OK", "x", 1]);

  check("mget", await redis.mget("a", "missing", "k"), ["2", null, "v1"]);
  check("eval", await redis.eval("return ARGV[1]", [], ["echo"]), "echo");
  check("set px", await redis.set("t", "1", { px: 60000 }), "OK");
  const ttl = await redis.pttl("t");
  if (!(ttl > 0 && ttl <= 60000)) throw new Error(`pttl: ${ttl}`);
  console.log("ok pttl");

  await redis.set("s", "not a number");
  try {
    await redis.incr("s");
    throw new Error("incr on a string did not fail");
  } catch (e) {
    if (!/not an integer/.test(String(e.message))) throw new Error(`incr error: ${e.message}`);
    console.log("ok command error");
  }

  const bad = new Redis({ url, token: "wrong", automaticDeserialization: false });
  try {
    await bad.get("k");
    throw new Error("a wrong token was accepted");
  } catch (e) {
    if (!/Unauthorized|401/i.test(String(e.message))) throw new Error(`bad token error: ${e.message}`);
    console.log("ok bad token");
  }
  console.log("conformance passed");
}

main().catch((e) => {
  console.error(`FAIL ${e.message}`);
  process.exit(1);
});
