import time
from tests.browser.test_resident_journey import *  # noqa
def test_prof(phone_factory, answer_key):
    page = phone_factory("zh-CN").new_page()
    t=time.perf_counter(); open_home(page, "zh-CN"); print("home", time.perf_counter()-t)
    t=time.perf_counter(); start_survey(page); print("start", time.perf_counter()-t)
    for item in answer_key.sections[0]:
        t=time.perf_counter(); answer_item(page, item); print("item", item.id, time.perf_counter()-t)
    t=time.perf_counter(); page.locator("#forward").click(); print("click", time.perf_counter()-t)
    t=time.perf_counter(); expect_section_page(page, 2, answer_key.sections[1]); print("expect", time.perf_counter()-t)
    t=time.perf_counter(); shot(page, "x"); print("shot", time.perf_counter()-t)
