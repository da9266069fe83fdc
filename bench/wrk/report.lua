-- Shared by every scenario script: count response statuses per thread and print one JSON line when done.
-- bench/load.py reads the line that starts with "BENCH_JSON ".

threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_id", #threads)
end

statuses = {}
wrapped = 0

function count_status(status)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

function response(status, headers, body)
   count_status(status)
end

local function encode(value)
   if type(value) == "table" then
      local parts = {}
      for key, item in pairs(value) do
         table.insert(parts, string.format("%q:%s", tostring(key), encode(item)))
      end
      return "{" .. table.concat(parts, ",") .. "}"
   end
   return tostring(value)
end

function done(summary, latency, requests)
   local all, rewound = {}, 0
   for _, thread in ipairs(threads) do
      for key, count in pairs(thread:get("statuses") or {}) do
         all[key] = (all[key] or 0) + count
      end
      rewound = rewound + (thread:get("wrapped") or 0)
   end
   local result = {
      requests = summary.requests,
      duration_us = summary.duration,
      bytes = summary.bytes,
      errors = summary.errors,
      statuses = all,
      wrapped = rewound,
      latency_us = {
         p50 = latency:percentile(50), p90 = latency:percentile(90), p99 = latency:percentile(99),
         max = latency.max, mean = latency.mean,
      },
   }
   io.write("BENCH_JSON " .. encode(result) .. "\n")
end
