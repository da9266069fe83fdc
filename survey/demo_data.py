"""Demo content for a fictional district: streets, communities, publicity pages and the practice questionnaire."""

from __future__ import annotations

SITE_NAME = {"zh": "青川区创文问卷", "en": "Qingchuan District Civility Survey"}

STREETS = [
    {
        "code": "s-hehua",
        "name": {"zh": "荷花街道", "en": "Hehua Subdistrict"},
        "communities": [
            {
                "code": "lianhu",
                "name": {"zh": "莲湖社区", "en": "Lianhu Community"},
                "population": 4200,
                "target_share": 0.2,
            },
            {
                "code": "taoyuan",
                "name": {"zh": "桃园社区", "en": "Taoyuan Community"},
                "population": 3100,
                "target_share": 0.2,
            },
            {
                "code": "hehua-xincun",
                "name": {"zh": "荷花新村社区", "en": "Hehua Xincun Community"},
                "population": 6800,
                "target_share": 0.15,
            },
        ],
    },
    {
        "code": "s-qingshan",
        "name": {"zh": "青山街道", "en": "Qingshan Subdistrict"},
        "communities": [
            {
                "code": "songlin",
                "name": {"zh": "松林社区", "en": "Songlin Community"},
                "population": 2600,
                "target_share": 0.25,
            },
            {
                "code": "cuiping",
                "name": {"zh": "翠屏社区", "en": "Cuiping Community"},
                "population": 5400,
                "target_share": 0.2,
            },
            {
                "code": "shiqiao",
                "name": {"zh": "石桥社区", "en": "Shiqiao Community"},
                "population": 1800,
                "target_share": 0.3,
            },
        ],
    },
    {
        "code": "s-jiangbin",
        "name": {"zh": "江滨街道", "en": "Jiangbin Subdistrict"},
        "communities": [
            {
                "code": "binhe",
                "name": {"zh": "滨河社区", "en": "Binhe Community"},
                "population": 7900,
                "target_share": 0.12,
            },
            {
                "code": "dukou",
                "name": {"zh": "渡口社区", "en": "Dukou Community"},
                "population": 3600,
                "target_share": 0.2,
            },
            {
                "code": "liushu",
                "name": {"zh": "柳树社区", "en": "Liushu Community"},
                "population": 2300,
                "target_share": 0.25,
            },
        ],
    },
]

PAGES = [
    {
        "slug": "why-campaign",
        "category": "why",
        "is_featured": True,
        "title": {"zh": "为什么要创建全国文明城市", "en": "Why the National Civilized City campaign matters"},
        "body": {
            "zh": (
                "全国文明城市是反映一座城市整体文明水平的综合性荣誉称号，也是最有价值的城市品牌之一。"
                "它由**中央精神文明建设指导委员会**评选命名，**每三年**评选表彰一届。\n\n"
                "这个称号**不是终身制**：实行动态管理，每年都要测评，复查不合格的可能被撤销。"
                "测评主要采用网上申报（材料审核）、实地考察和问卷调查等方式，问卷调查直接听取市民的意见。\n\n"
                "创建工作坚持创建为民，为民、利民、惠民、育民：\n\n"
                "- **群众满意**是检验创建成效的第一标准；\n"
                "- **广大市民**是创建的主体，人人有责、人人参与、人人共享。\n\n"
                "江州市青川区正在全力创建，欢迎您了解创建、支持创建、参与创建。"
            ),
            "en": (
                "National Civilized City is a comprehensive honour that reflects how civilized a city is as a whole, "
                "and it is one of the most valuable brands a city can have. The title is conferred by the "
                "**Central Guidance Commission on Building Spiritual Civilization** and is awarded **every three years**.\n\n"
                "The title is **not permanent**. Cities are evaluated every year, and a city that fails its review "
                "can lose the title. The evaluation combines online submission of documents, on-site inspections "
                "and a questionnaire survey that asks residents directly what they think.\n\n"
                "The campaign is run for the people and for their benefit:\n\n"
                "- **Residents' satisfaction** is the first criterion for judging its results;\n"
                "- **Residents themselves** are the main actors: everyone is responsible, everyone takes part, "
                "and everyone shares the benefits.\n\n"
                "Qingchuan District in Jiangzhou is working hard for the title. Please learn about the campaign, "
                "support it and join in."
            ),
        },
    },
    {
        "slug": "resident-benefits",
        "category": "benefits",
        "is_featured": True,
        "title": {"zh": "创建文明城市，居民得到什么", "en": "What residents gain from the campaign"},
        "body": {
            "zh": (
                "创建文明城市，最终受益的是每一位居民。\n\n"
                "- **环境更整洁**：农贸市场、老旧小区、背街小巷和河道得到整治，家园更干净、更美丽；\n"
                "- **出行更安全**：道路和无障碍设施不断完善，车让人、人守规逐渐成为习惯；\n"
                "- **生活更便利**：社区服务、便民设施和政务服务持续改进，办事更省心；\n"
                "- **邻里更和睦**：志愿服务和邻里守望让社区更有温度；\n"
                "- **城市更有名气**：文明城市的金字招牌有利于吸引投资、人才和游客，带来更多就业机会。\n\n"
                "创建为民、创建惠民。您的每一次参与，都会让青川区变得**更好**。"
            ),
            "en": (
                "Every resident is, in the end, the one who benefits from the campaign.\n\n"
                "- **A cleaner environment**: farmers' markets, old residential compounds, back streets and rivers "
                "are tidied up and improved;\n"
                "- **Safer streets**: roads and barrier-free facilities keep getting better, and drivers giving way "
                "to pedestrians becomes a habit;\n"
                "- **Easier daily life**: community services, local amenities and government services keep improving, "
                "so getting things done takes less effort;\n"
                "- **Friendlier neighbourhoods**: volunteering and neighbours looking out for each other make "
                "communities warmer places to live;\n"
                "- **A better-known city**: the title helps attract investment, talent and visitors, which brings "
                "more jobs.\n\n"
                "The campaign is for the people and benefits the people. Every time you take part, you help make "
                "Qingchuan District **a better place**."
            ),
        },
    },
    {
        "slug": "core-values",
        "category": "know",
        "is_featured": True,
        "title": {"zh": "社会主义核心价值观与道德模范", "en": "Core socialist values and moral models"},
        "body": {
            "zh": (
                "**社会主义核心价值观**共24个字，分为三个层面：\n\n"
                "- 国家层面：**富强、民主、文明、和谐**；\n"
                "- 社会层面：**自由、平等、公正、法治**；\n"
                "- 公民个人层面：**爱国、敬业、诚信、友善**。\n\n"
                "每年**9月20日**是**公民道德宣传日**。全国道德模范分为五类："
                "**助人为乐、见义勇为、诚实守信、敬业奉献、孝老爱亲**。"
                "我们身边也有许多“身边好人”，了解和学习他们的事迹，就是践行核心价值观的好方式。\n\n"
                "日常生活中，讲社会公德、职业道德和家庭美德：文明礼貌、爱护公物、遵纪守法，"
                "爱岗敬业、诚实守信，尊老爱幼、邻里团结。"
            ),
            "en": (
                "The **core socialist values** are 24 Chinese characters on three levels:\n\n"
                "- the nation: **prosperity, democracy, civility and harmony**;\n"
                "- society: **freedom, equality, justice and the rule of law**;\n"
                "- the individual: **patriotism, dedication, integrity and friendship**.\n\n"
                "**20 September** each year is **Civic Morality Day**. National moral models are honoured in five "
                "categories: **helping others, acting bravely for a just cause, honesty and keeping one's word, "
                'dedication to one\'s work, and caring for elders and family**. Many "good people next door" live '
                "among us too, and learning from what they do is a good way to put the core values into practice.\n\n"
                "In daily life, this means public ethics, work ethics and family virtues: courtesy, caring for public "
                "property and obeying the law; loving one's job and being honest; respecting the old, caring for the "
                "young and getting on with the neighbours."
            ),
        },
    },
    {
        "slug": "waste-sorting",
        "category": "behaviour",
        "is_featured": False,
        "title": {"zh": "垃圾分类与文明餐桌", "en": "Waste sorting and civilized dining"},
        "body": {
            "zh": (
                "生活垃圾一般分为四类：**可回收物、有害垃圾、厨余垃圾、其他垃圾**。\n\n"
                "- 可回收物：废纸、塑料瓶、金属、玻璃、旧衣物等；\n"
                "- 有害垃圾：**过期药品、废灯管、废水银温度计、废充电电池、废油漆桶**等，要单独投放；\n"
                "- 厨余垃圾：剩菜剩饭、果皮、菜叶等；\n"
                "- 其他垃圾：除上述三类以外的生活垃圾。\n\n"
                "文明餐桌同样重要：按需点餐，践行**光盘行动**，吃不完的打包带走；"
                "聚餐时使用**公筷公勺**；不劝酒、不拼酒，不大声喧哗。"
                "制止餐饮浪费，从每一餐做起。"
            ),
            "en": (
                "Household waste is usually sorted into four categories: **recyclables, hazardous waste, "
                "food waste and residual waste**.\n\n"
                "- Recyclables: paper, plastic bottles, metal, glass, old clothes and so on;\n"
                "- Hazardous waste: **expired medicines, used fluorescent tubes, broken mercury thermometers, "
                "used rechargeable batteries and paint tins**, which must be disposed of separately;\n"
                "- Food waste: leftovers, fruit peel, vegetable scraps and so on;\n"
                "- Residual waste: everything that does not belong to the other three.\n\n"
                "Good table manners matter too. Order only what you need and join the **clean-plate campaign**; "
                "take leftovers home; use **serving chopsticks and spoons** when sharing dishes; and don't push "
                "others to drink. Stopping food waste starts with every meal."
            ),
        },
    },
    {
        "slug": "volunteering",
        "category": "volunteering",
        "is_featured": False,
        "title": {"zh": "志愿服务与新时代文明实践", "en": "Volunteering and civility practice"},
        "body": {
            "zh": (
                "志愿服务精神是**奉献、友爱、互助、进步**。\n\n"
                "社区志愿服务的主题是**邻里守望**：看望独居老人、帮助有困难的邻居、"
                "参加楼道清洁、文明交通劝导和垃圾分类指导，都是身边的志愿服务。\n\n"
                "每年**12月5日**是**国际志愿者日**。\n\n"
                "青川区各社区设有**新时代文明实践站**，经常组织政策宣讲、文明劝导、关爱帮扶和未成年人实践活动。"
                "欢迎您到社区的文明实践站报名，成为一名志愿者，哪怕每月只参加一次，也是对创建的支持。"
            ),
            "en": (
                "The spirit of volunteering is **dedication, friendship, mutual help and progress**.\n\n"
                "The theme of community volunteering is **neighbours looking out for each other**: visiting older "
                "people who live alone, helping neighbours in difficulty, cleaning shared stairwells, guiding "
                "traffic manners and helping people sort their waste are all volunteering close to home.\n\n"
                "**5 December** each year is **International Volunteer Day**.\n\n"
                "Every community in Qingchuan District has a **New Era Civilization Practice Station**, which "
                "regularly runs talks on public policy, civility campaigns, support for people in need and "
                "activities for children. Sign up at your community's station and become a volunteer; even "
                "joining in once a month helps the campaign."
            ),
        },
    },
    {
        "slug": "civil-behaviour",
        "category": "behaviour",
        "is_featured": True,
        "title": {"zh": "文明行为，从身边做起", "en": "Everyday civility starts with you"},
        "body": {
            "zh": (
                "- **文明交通**：机动车行经人行横道要减速，遇行人正在通过时应**停车让行**；行人走斑马线，不闯红灯。\n"
                "- **文明养犬**：出门拴绳牵引，及时清理犬只粪便，主动避让行人，避开人群密集的地方。\n"
                "- **有事打12345**：占道经营、垃圾清运不及时、噪声扰民等非紧急问题，可拨打**12345**政务服务便民热线；"
                "遇到紧急情况，请拨打110、119或120。\n"
                "- **保护未成年人**：网吧不得接纳未成年人，发现违规接纳的，请向有关执法部门**举报**。\n"
                "- **我们的节日**：春节、元宵、清明、端午、七夕、中秋、重阳，是传承中华优秀传统文化的好时机。"
            ),
            "en": (
                "- **Traffic**: drivers must slow down at pedestrian crossings and **stop and give way** when "
                "someone is crossing; pedestrians should use zebra crossings and never cross on red.\n"
                "- **Dogs**: keep your dog on a lead, clean up after it straight away, give way to passers-by and "
                "avoid crowded places.\n"
                "- **Call 12345**: for non-emergency problems such as street stalls blocking the pavement, rubbish "
                "left uncollected or noise, call the **12345** government service hotline. In an emergency, call "
                "110, 119 or 120.\n"
                "- **Protect minors**: internet cafés must not admit minors. If you see one doing so, "
                "**report it** to the enforcement authorities.\n"
                "- **Our festivals**: the Spring Festival, the Lantern Festival, Qingming, the Dragon Boat "
                "Festival, Qixi, the Mid-Autumn Festival and the Double Ninth Festival are good occasions to "
                "pass on China's fine traditional culture."
            ),
        },
    },
]

SECTIONS = [
    {
        "title": {"zh": "创建知晓与支持", "en": "Awareness and support"},
        "items": [
            {
                "kind": "opinion",
                "type": "single",
                "metric": "awareness",
                "text": {
                    "zh": "您是否知道青川区正在创建全国文明城市？",
                    "en": "Do you know that Qingchuan District is campaigning for the National Civilized City title?",
                },
                "options": [
                    {"label": {"zh": "知道", "en": "Yes, I know"}, "positive": True},
                    {"label": {"zh": "不知道", "en": "No, I didn't know"}},
                ],
            },
            {
                "kind": "opinion",
                "type": "single",
                "metric": "support",
                "text": {
                    "zh": "您是否支持青川区创建全国文明城市？",
                    "en": "Do you support Qingchuan District's campaign for the National Civilized City title?",
                },
                "options": [
                    {"label": {"zh": "支持", "en": "Support"}, "positive": True},
                    {"label": {"zh": "无所谓", "en": "Don't mind"}},
                    {"label": {"zh": "不支持", "en": "Do not support"}},
                ],
            },
            {
                "kind": "knowledge",
                "type": "single",
                "text": {
                    "zh": "全国文明城市称号由哪个机构评选命名？",
                    "en": "Which body selects and confers the National Civilized City title?",
                },
                "options": [
                    {
                        "label": {
                            "zh": "中央精神文明建设指导委员会",
                            "en": "The Central Guidance Commission on Building Spiritual Civilization",
                        },
                        "correct": True,
                    },
                    {
                        "label": {"zh": "国务院办公厅", "en": "The General Office of the State Council"},
                        "correct": False,
                    },
                    {
                        "label": {
                            "zh": "住房和城乡建设部",
                            "en": "The Ministry of Housing and Urban-Rural Development",
                        },
                        "correct": False,
                    },
                    {"label": {"zh": "国家统计局", "en": "The National Bureau of Statistics"}, "correct": False},
                ],
                "explanation": {
                    "zh": "全国文明城市由中央精神文明建设指导委员会评选命名；统计部门会参与问卷调查，但不负责命名。",
                    "en": "The title is conferred by the Central Guidance Commission on Building Spiritual Civilization; "
                    "statistics offices help run the survey but do not confer the title.",
                },
                "page": "why-campaign",
            },
            {
                "kind": "knowledge",
                "type": "single",
                "text": {
                    "zh": "全国文明城市多久评选表彰一届？",
                    "en": "How often is the National Civilized City title awarded?",
                },
                "options": [
                    {"label": {"zh": "每年一届", "en": "Every year"}, "correct": False},
                    {"label": {"zh": "每两年一届", "en": "Every two years"}, "correct": False},
                    {"label": {"zh": "每三年一届", "en": "Every three years"}, "correct": True},
                    {"label": {"zh": "每五年一届", "en": "Every five years"}, "correct": False},
                ],
                "explanation": {
                    "zh": "全国文明城市每三年评选表彰一届，其间每年都要进行年度测评。",
                    "en": "The title is awarded every three years, and cities are still evaluated every year in between.",
                },
                "page": "why-campaign",
            },
        ],
    },
    {
        "title": {"zh": "创建基本知识", "en": "Campaign basics"},
        "items": [
            {
                "kind": "knowledge",
                "type": "truefalse",
                "text": {
                    "zh": "判断：城市获得全国文明城市称号后，可以终身保留。",
                    "en": "True or false: once a city has won the National Civilized City title, it keeps it for good.",
                },
                "options": [
                    {"label": {"zh": "正确", "en": "True"}, "correct": False},
                    {"label": {"zh": "错误", "en": "False"}, "correct": True},
                ],
                "explanation": {
                    "zh": "称号不是终身制，实行动态管理：每年都要测评，复查不合格的可能被撤销。",
                    "en": "The title is not for life: cities are evaluated every year, and one that fails its review "
                    "can lose it.",
                },
                "page": "why-campaign",
            },
            {
                "kind": "knowledge",
                "type": "single",
                "text": {
                    "zh": "文明城市创建工作的“第一标准”是什么？",
                    "en": "What is the first criterion for judging the civilized-city campaign?",
                },
                "options": [
                    {"label": {"zh": "经济增长速度", "en": "The rate of economic growth"}, "correct": False},
                    {"label": {"zh": "群众满意", "en": "Residents' satisfaction"}, "correct": True},
                    {"label": {"zh": "城市规模", "en": "The size of the city"}, "correct": False},
                    {"label": {"zh": "媒体评价", "en": "What the media say"}, "correct": False},
                ],
                "explanation": {
                    "zh": "创建为民、创建惠民，群众满意是检验创建成效的第一标准。",
                    "en": "The campaign is for the people, so residents' satisfaction is the first test of its results.",
                },
                "page": "why-campaign",
            },
            {
                "kind": "knowledge",
                "type": "truefalse",
                "text": {
                    "zh": "判断：创建文明城市主要是政府部门的事，普通市民不是创建的主体。",
                    "en": "True or false: the campaign is mainly the government's business, and ordinary "
                    "residents are not its main actors.",
                },
                "options": [
                    {"label": {"zh": "正确", "en": "True"}, "correct": False},
                    {"label": {"zh": "错误", "en": "False"}, "correct": True},
                ],
                "explanation": {
                    "zh": "广大市民才是创建的主体，创建工作人人有责、人人参与、人人共享。",
                    "en": "Residents are the main actors of the campaign: everyone is responsible, everyone takes part "
                    "and everyone shares the benefits.",
                },
                "page": "why-campaign",
            },
            {
                "kind": "knowledge",
                "type": "multiple",
                "text": {
                    "zh": "全国文明城市测评主要采用哪些方式？",
                    "en": "Which methods does the National Civilized City evaluation mainly use?",
                },
                "options": [
                    {
                        "label": {"zh": "网上申报（材料审核）", "en": "Online submission and review of documents"},
                        "correct": True,
                    },
                    {"label": {"zh": "实地考察", "en": "On-site inspection"}, "correct": True},
                    {"label": {"zh": "问卷调查", "en": "Questionnaire survey of residents"}, "correct": True},
                    {
                        "label": {"zh": "由各单位自评打分", "en": "Self-assessment by local government units"},
                        "correct": False,
                    },
                ],
                "explanation": {
                    "zh": "测评主要通过网上申报（材料审核）、实地考察和问卷调查进行，不以单位自评代替。",
                    "en": "The evaluation relies on online document review, on-site inspection and a questionnaire "
                    "survey, not on units marking themselves.",
                },
                "page": "why-campaign",
            },
        ],
    },
    {
        "title": {"zh": "核心价值观与道德建设", "en": "Core values and morality"},
        "items": [
            {
                "kind": "opinion",
                "type": "single",
                "metric": "awareness",
                "text": {
                    "zh": "您了解社会主义核心价值观的24字内容吗？",
                    "en": "How well do you know the 24 characters of the core socialist values?",
                },
                "options": [
                    {"label": {"zh": "全知道", "en": "I know all of them"}, "positive": True},
                    {"label": {"zh": "知道", "en": "I know most of them"}, "positive": True},
                    {"label": {"zh": "知道一点", "en": "I know a few of them"}},
                    {"label": {"zh": "不知道", "en": "I don't know them"}},
                ],
            },
            {
                "kind": "knowledge",
                "type": "single",
                "text": {
                    "zh": "下列哪一项不属于社会主义核心价值观？",
                    "en": "Which of the following is NOT one of the core socialist values?",
                },
                "options": [
                    {"label": {"zh": "富强", "en": "Prosperity"}, "correct": False},
                    {"label": {"zh": "法治", "en": "Rule of law"}, "correct": False},
                    {"label": {"zh": "安全", "en": "Security"}, "correct": True},
                    {"label": {"zh": "友善", "en": "Friendship"}, "correct": False},
                ],
                "explanation": {
                    "zh": "富强、法治、友善分别属于国家、社会和个人层面的核心价值观，“安全”不在24字之中。",
                    "en": "Prosperity, rule of law and friendship belong to the national, social and individual levels; "
                    "security is not among the 24 characters.",
                },
                "page": "core-values",
            },
            {
                "kind": "knowledge",
                "type": "single",
                "text": {
                    "zh": "社会主义核心价值观中，公民个人层面的价值准则是：",
                    "en": "Which are the core socialist values at the level of the individual citizen?",
                },
                "options": [
                    {
                        "label": {"zh": "富强、民主、文明、和谐", "en": "Prosperity, democracy, civility, harmony"},
                        "correct": False,
                    },
                    {
                        "label": {"zh": "自由、平等、公正、法治", "en": "Freedom, equality, justice, rule of law"},
                        "correct": False,
                    },
                    {
                        "label": {
                            "zh": "爱国、敬业、诚信、友善",
                            "en": "Patriotism, dedication, integrity, friendship",
                        },
                        "correct": True,
                    },
                ],
                "explanation": {
                    "zh": "爱国、敬业、诚信、友善是个人层面的准则；另两组分别是国家层面和社会层面的价值观。",
                    "en": "Patriotism, dedication, integrity and friendship guide individuals; the other two groups are "
                    "the national-level and social-level values.",
                },
                "page": "core-values",
            },
            {
                "kind": "knowledge",
                "type": "fillin",
                "text": {
                    "zh": "填空：富强、民主、____、和谐",
                    "en": "Fill in the blank: prosperity, democracy, ____, harmony",
                },
                "accepted": ["文明", "civility", "civilization", "civilisation", "civilized", "civilised"],
                "explanation": {
                    "zh": "国家层面的核心价值观是富强、民主、文明、和谐。",
                    "en": "The national-level core values are prosperity, democracy, civility and harmony.",
                },
                "page": "core-values",
            },
            {
                "kind": "knowledge",
                "type": "single",
                "text": {
                    "zh": "“公民道德宣传日”是每年的哪一天？",
                    "en": "On which day each year is Civic Morality Day?",
                },
                "options": [
                    {"label": {"zh": "3月5日", "en": "5 March"}, "correct": False},
                    {"label": {"zh": "9月20日", "en": "20 September"}, "correct": True},
                    {"label": {"zh": "12月4日", "en": "4 December"}, "correct": False},
                    {"label": {"zh": "12月5日", "en": "5 December"}, "correct": False},
                ],
                "explanation": {
                    "zh": "公民道德宣传日是每年9月20日；12月4日是国家宪法日，12月5日是国际志愿者日。",
                    "en": "Civic Morality Day is 20 September; 4 December is National Constitution Day and 5 December "
                    "is International Volunteer Day.",
                },
                "page": "core-values",
            },
            {
                "kind": "knowledge",
                "type": "multiple",
                "text": {
                    "zh": "全国道德模范评选包括哪些类别？",
                    "en": "Which categories are national moral models honoured in?",
                },
                "options": [
                    {"label": {"zh": "助人为乐", "en": "Helping others"}, "correct": True},
                    {"label": {"zh": "见义勇为", "en": "Acting bravely for a just cause"}, "correct": True},
                    {"label": {"zh": "诚实守信", "en": "Honesty and keeping one's word"}, "correct": True},
                    {"label": {"zh": "敬业奉献", "en": "Dedication to one's work"}, "correct": True},
                    {"label": {"zh": "孝老爱亲", "en": "Caring for elders and family"}, "correct": True},
                    {"label": {"zh": "勤劳致富", "en": "Getting rich through hard work"}, "correct": False},
                ],
                "explanation": {
                    "zh": "道德模范分为助人为乐、见义勇为、诚实守信、敬业奉献、孝老爱亲五类，没有“勤劳致富”类。",
                    "en": "There are five categories: helping others, bravery for a just cause, honesty, dedication "
                    "to work, and caring for elders and family; getting rich is not one of them.",
                },
                "page": "core-values",
            },
            {
                "kind": "opinion",
                "type": "single",
                "metric": "awareness",
                "text": {
                    "zh": "您是否知道江州市评选出的道德模范或“身边好人”？",
                    "en": 'Do you know of any moral models or "good people next door" honoured in Jiangzhou?',
                },
                "options": [
                    {"label": {"zh": "知道", "en": "Yes"}, "positive": True},
                    {"label": {"zh": "不知道", "en": "No"}},
                ],
            },
        ],
    },
    {
        "title": {"zh": "志愿服务与文明实践", "en": "Volunteering and civility practice"},
        "items": [
            {
                "kind": "knowledge",
                "type": "single",
                "text": {"zh": "志愿服务精神是：", "en": "What is the spirit of volunteering?"},
                "options": [
                    {
                        "label": {
                            "zh": "奉献、友爱、互助、进步",
                            "en": "Dedication, friendship, mutual help, progress",
                        },
                        "correct": True,
                    },
                    {
                        "label": {"zh": "团结、勤奋、求实、创新", "en": "Unity, diligence, realism, innovation"},
                        "correct": False,
                    },
                    {
                        "label": {"zh": "爱国、守法、明礼、诚信", "en": "Patriotism, lawfulness, courtesy, honesty"},
                        "correct": False,
                    },
                ],
                "explanation": {
                    "zh": "志愿服务精神概括为“奉献、友爱、互助、进步”八个字。",
                    "en": "The volunteer spirit is summed up as dedication, friendship, mutual help and progress.",
                },
                "page": "volunteering",
            },
            {
                "kind": "knowledge",
                "type": "single",
                "text": {"zh": "社区志愿服务的主题是：", "en": "What is the theme of community volunteering?"},
                "options": [
                    {"label": {"zh": "邻里守望", "en": "Neighbours looking out for each other"}, "correct": True},
                    {"label": {"zh": "扶贫济困", "en": "Helping the poor"}, "correct": False},
                    {"label": {"zh": "关爱老人", "en": "Caring for older people"}, "correct": False},
                    {"label": {"zh": "绿色出行", "en": "Green travel"}, "correct": False},
                ],
                "explanation": {
                    "zh": "社区志愿服务以“邻里守望”为主题，倡导邻居之间相互关心、相互帮助。",
                    "en": "Community volunteering has the theme of neighbours looking out for each other, caring for "
                    "and helping one another.",
                },
                "page": "volunteering",
            },
            {
                "kind": "knowledge",
                "type": "fillin",
                "text": {
                    "zh": "填空：国际志愿者日是每年的____。",
                    "en": "Fill in the blank: International Volunteer Day falls on ____ each year.",
                },
                "accepted": [
                    "12月5日",
                    "12月5号",
                    "十二月五日",
                    "十二月五号",
                    "12.5",
                    "12-05",
                    "5 December",
                    "December 5",
                    "5th December",
                    "December 5th",
                    "5 Dec",
                    "Dec 5",
                ],
                "explanation": {
                    "zh": "每年12月5日是国际志愿者日；3月5日则是学雷锋纪念日。",
                    "en": "International Volunteer Day is 5 December; 5 March is the day for learning from Lei Feng.",
                },
                "page": "volunteering",
            },
            {
                "kind": "participation",
                "type": "single",
                "text": {
                    "zh": "过去一年，您参加过志愿服务或文明创建活动吗？",
                    "en": "In the past year, have you taken part in volunteering or civility campaign activities?",
                },
                "options": [
                    {"label": {"zh": "经常参加", "en": "Often"}, "positive": True},
                    {"label": {"zh": "偶尔参加", "en": "Sometimes"}, "positive": True},
                    {"label": {"zh": "没参加过", "en": "Never"}},
                ],
            },
            {
                "kind": "opinion",
                "type": "single",
                "metric": "awareness",
                "text": {
                    "zh": "您是否知道所在社区设有新时代文明实践站？",
                    "en": "Do you know that your community has a New Era Civilization Practice Station?",
                },
                "options": [
                    {"label": {"zh": "知道", "en": "Yes"}, "positive": True},
                    {"label": {"zh": "不知道", "en": "No"}},
                ],
            },
            {
                "kind": "opinion",
                "type": "single",
                "metric": None,
                "text": {
                    "zh": "您觉得身边的志愿服务氛围如何？",
                    "en": "How would you describe the volunteering atmosphere around you?",
                },
                "options": [
                    {"label": {"zh": "浓厚", "en": "Strong"}},
                    {"label": {"zh": "一般", "en": "Average"}},
                    {"label": {"zh": "不浓厚", "en": "Weak"}},
                ],
            },
        ],
    },
    {
        "title": {"zh": "文明行为", "en": "Everyday civility"},
        "items": [
            {
                "kind": "knowledge",
                "type": "multiple",
                "text": {
                    "zh": "生活垃圾一般分为哪四类？",
                    "en": "Which four categories is household waste usually sorted into?",
                },
                "options": [
                    {"label": {"zh": "可回收物", "en": "Recyclables"}, "correct": True},
                    {"label": {"zh": "有害垃圾", "en": "Hazardous waste"}, "correct": True},
                    {"label": {"zh": "厨余垃圾", "en": "Food waste"}, "correct": True},
                    {"label": {"zh": "其他垃圾", "en": "Residual waste"}, "correct": True},
                    {"label": {"zh": "建筑垃圾", "en": "Construction waste"}, "correct": False},
                ],
                "explanation": {
                    "zh": "生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾；建筑垃圾不属于生活垃圾，需另行处理。",
                    "en": "Household waste is sorted into recyclables, hazardous, food and residual waste; construction "
                    "waste is not household waste and is handled separately.",
                },
                "page": "waste-sorting",
            },
            {
                "kind": "knowledge",
                "type": "single",
                "text": {
                    "zh": "过期药品、废荧光灯管应当投放到哪一类垃圾桶？",
                    "en": "Which bin should expired medicines and used fluorescent tubes go into?",
                },
                "options": [
                    {"label": {"zh": "可回收物", "en": "Recyclables"}, "correct": False},
                    {"label": {"zh": "有害垃圾", "en": "Hazardous waste"}, "correct": True},
                    {"label": {"zh": "厨余垃圾", "en": "Food waste"}, "correct": False},
                    {"label": {"zh": "其他垃圾", "en": "Residual waste"}, "correct": False},
                ],
                "explanation": {
                    "zh": "过期药品和废灯管含有对人体或环境有害的物质，属于有害垃圾，应单独投放。",
                    "en": "Expired medicines and used tubes contain substances harmful to people or the environment, "
                    "so they are hazardous waste and must be disposed of separately.",
                },
                "page": "waste-sorting",
            },
            {
                "kind": "knowledge",
                "type": "multiple",
                "text": {"zh": "文明餐桌倡导哪些做法？", "en": "Which of these are good dining manners?"},
                "options": [
                    {
                        "label": {
                            "zh": "按需点餐，践行光盘行动",
                            "en": "Ordering only what you need and clearing your plate",
                        },
                        "correct": True,
                    },
                    {"label": {"zh": "吃不完的饭菜打包带走", "en": "Taking leftovers home"}, "correct": True},
                    {
                        "label": {
                            "zh": "聚餐时使用公筷公勺",
                            "en": "Using serving chopsticks and spoons for shared dishes",
                        },
                        "correct": True,
                    },
                    {
                        "label": {"zh": "劝酒拼酒，越热闹越有面子", "en": "Pushing others to drink to liven things up"},
                        "correct": False,
                    },
                ],
                "explanation": {
                    "zh": "文明餐桌提倡光盘行动、剩菜打包和使用公筷公勺，反对劝酒拼酒和餐饮浪费。",
                    "en": "Civilized dining means clearing your plate, taking leftovers home and using serving "
                    "chopsticks, not pressing drinks on others or wasting food.",
                },
                "page": "waste-sorting",
            },
            {
                "kind": "knowledge",
                "type": "single",
                "text": {
                    "zh": "驾驶机动车遇到行人正在通过人行横道时，应当：",
                    "en": "When you are driving and a pedestrian is using a zebra crossing, you should:",
                },
                "options": [
                    {
                        "label": {"zh": "鸣笛提醒行人让开", "en": "Sound the horn so the pedestrian moves aside"},
                        "correct": False,
                    },
                    {"label": {"zh": "加速抢先通过", "en": "Speed up to get through first"}, "correct": False},
                    {"label": {"zh": "停车让行", "en": "Stop and let the pedestrian cross"}, "correct": True},
                    {"label": {"zh": "从行人前后绕行", "en": "Drive around the pedestrian"}, "correct": False},
                ],
                "explanation": {
                    "zh": "按照道路交通安全法，机动车行经人行横道应当减速，遇行人正在通过时应当停车让行。",
                    "en": "Under the road traffic safety law, drivers must slow down at crossings and stop to give way "
                    "to anyone crossing.",
                },
                "page": "civil-behaviour",
            },
            {
                "kind": "knowledge",
                "type": "multiple",
                "text": {
                    "zh": "携犬出门，正确的做法有：",
                    "en": "Which are the right things to do when walking a dog?",
                },
                "options": [
                    {"label": {"zh": "拴绳牵引", "en": "Keep the dog on a lead"}, "correct": True},
                    {
                        "label": {"zh": "及时清理犬只粪便", "en": "Clean up after the dog straight away"},
                        "correct": True,
                    },
                    {"label": {"zh": "主动避开人群密集的地方", "en": "Avoid crowded places"}, "correct": True},
                    {
                        "label": {"zh": "让犬只在公共场所自由奔跑", "en": "Let the dog run free in public places"},
                        "correct": False,
                    },
                ],
                "explanation": {
                    "zh": "文明养犬要拴绳牵引、及时清理粪便、避让行人和人群，不能任犬只在公共场所自由奔跑。",
                    "en": "Responsible owners keep dogs on a lead, clean up after them and keep clear of crowds; "
                    "letting a dog run loose in public is not acceptable.",
                },
                "page": "civil-behaviour",
            },
            {
                "kind": "knowledge",
                "type": "single",
                "text": {
                    "zh": "反映占道经营、垃圾清运不及时等非紧急问题，可以拨打哪个热线？",
                    "en": "Which number can you call about non-emergency problems such as stalls blocking the "
                    "pavement or uncollected rubbish?",
                },
                "options": [
                    {"label": {"zh": "110", "en": "110"}, "correct": False},
                    {"label": {"zh": "119", "en": "119"}, "correct": False},
                    {"label": {"zh": "12345", "en": "12345"}, "correct": True},
                    {"label": {"zh": "120", "en": "120"}, "correct": False},
                ],
                "explanation": {
                    "zh": "12345是政务服务便民热线，受理非紧急诉求；110、119、120留给紧急情况。",
                    "en": "12345 is the government service hotline for non-emergency matters; 110, 119 and 120 are "
                    "for emergencies.",
                },
                "page": "civil-behaviour",
            },
        ],
    },
    {
        "title": {"zh": "城市治理与满意度", "en": "Local governance and satisfaction"},
        "items": [
            {
                "kind": "opinion",
                "type": "single",
                "metric": "satisfaction",
                "text": {
                    "zh": "您对青川区创建全国文明城市工作的总体评价是？",
                    "en": "Overall, how satisfied are you with Qingchuan District's National Civilized City campaign?",
                },
                "options": [
                    {"label": {"zh": "满意", "en": "Satisfied"}, "positive": True},
                    {"label": {"zh": "基本满意", "en": "Fairly satisfied"}, "positive": True},
                    {"label": {"zh": "不满意", "en": "Dissatisfied"}},
                    {"label": {"zh": "不清楚", "en": "Not sure"}},
                ],
            },
            {
                "kind": "opinion",
                "type": "single",
                "metric": "satisfaction",
                "text": {
                    "zh": "您对区内政府部门办事效率和便利程度满意吗？",
                    "en": "How satisfied are you with how quickly and easily you can get things done at "
                    "government offices in the district?",
                },
                "options": [
                    {"label": {"zh": "满意", "en": "Satisfied"}, "positive": True},
                    {"label": {"zh": "基本满意", "en": "Fairly satisfied"}, "positive": True},
                    {"label": {"zh": "不满意", "en": "Dissatisfied"}},
                    {"label": {"zh": "不清楚", "en": "Not sure"}},
                ],
            },
            {
                "kind": "opinion",
                "type": "single",
                "metric": "satisfaction",
                "text": {
                    "zh": "您对学校周边治安、交通和市场秩序的治理满意吗？",
                    "en": "How satisfied are you with public safety, traffic and street trading around schools?",
                },
                "options": [
                    {"label": {"zh": "满意", "en": "Satisfied"}, "positive": True},
                    {"label": {"zh": "基本满意", "en": "Fairly satisfied"}, "positive": True},
                    {"label": {"zh": "不满意", "en": "Dissatisfied"}},
                    {"label": {"zh": "不清楚", "en": "Not sure"}},
                ],
            },
            {
                "kind": "opinion",
                "type": "single",
                "metric": None,
                "required": False,
                "text": {
                    "zh": "您或家人敢一个人在夜间外出散步或赶路吗？",
                    "en": "Would you or your family feel safe going out alone in the area at night?",
                },
                "options": [
                    {"label": {"zh": "敢", "en": "Yes"}},
                    {"label": {"zh": "说不清", "en": "Not sure"}},
                    {"label": {"zh": "不敢", "en": "No"}},
                ],
            },
        ],
    },
]
