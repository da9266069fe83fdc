-- GET the URL given to wrk (headers such as Cookie or Authorization come from wrk -H); report as JSON.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
