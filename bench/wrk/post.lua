-- POST a fixed form body (the first script argument) to the URL given to wrk; report as JSON.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

function init(args)
   wrk.method = "POST"
   wrk.body = args[1] or ""
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   request_text = wrk.format()
end

function request()
   return request_text
end
