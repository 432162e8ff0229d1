//! Deterministic corpora in the content format: 10 studios, 4 alliances and
//! N records of every kind, with front matter, codes, tags and 1–8 KB
//! bodies in 工法-style chapters; and the real lawrefbook corpus wrapped in
//! front matter. Everything derives from the seed and the record number,
//! so record `i` is the same whatever N is and can be regenerated alone.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{LazyLock, OnceLock};

/// Bump when the generated text changes: an existing corpus is then rebuilt.
const GENERATOR_VERSION: &str = "zhihui-scale-generator-2";
const LAWREF_VERSION: &str = "zhihui-scale-lawref-1";

/// The staff files of the demo content: the same segmentation and synonyms
/// a real deployment would have.
const DICTIONARY: &str = include_str!("../../content/dictionary.txt");
const SYNONYMS: &str = include_str!("../../content/synonyms.txt");

// ---------------------------------------------------------------- PRNG

/// splitmix64: tiny, fast and good enough for text generation.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// An independent stream for record `i` of a corpus.
    pub fn for_record(seed: u64, i: u64) -> Self {
        let mut r = Rng(seed ^ i.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Inclusive range.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Skewed towards the front of the list, like word frequencies.
    pub fn skewed<T: Copy>(&mut self, items: &[T]) -> T {
        let u = self.unit();
        items[((u * u) * items.len() as f64) as usize % items.len()]
    }
}

// ---------------------------------------------------------------- vocabulary

fn words(text: &'static str) -> Vec<&'static str> {
    text.split_whitespace().collect()
}

static TUNNEL: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "盾构 管片 同步注浆 注浆 错台 盾构机 管片拼装 二次注浆 盾尾 盾尾密封 \
        刀盘 刀具 滚刀 土仓压力 泥水平衡 土压平衡 始发 接收 端头加固 联络通道 \
        冻结法 矿山法 新奥法 初期支护 二次衬砌 仰拱 超前地质预报 超前小导管 管棚 \
        锚杆 喷射混凝土 钢拱架 围岩 软弱围岩 岩爆 突泥涌水 掌子面 衬砌台车 \
        防水板 止水带 地表沉降 隆起 收敛 拱顶下沉 富水砂层 上软下硬 孤石 \
        渣土改良 泡沫剂 膨润土 螺旋输送机 隧道 竖井 斜井 光面爆破 施工通风 瓦斯 \
        管片修复 注浆压力 掘进参数",
    )
});

static BRIDGE: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "挂篮 悬臂浇筑 合龙 线形控制 预应力 张拉 智能张拉 压浆 孔道压浆 波纹管 \
        锚具 钢绞线 箱梁 钢箱梁 预制梁 架桥机 支座 支座更换 同步顶升 桥墩 高墩 \
        承台 桩基 钻孔灌注桩 钢护筒 钢筋笼 翻模 爬模 滑模 斜拉桥 斜拉索 悬索桥 \
        主缆 索塔 U肋 焊接 焊缝 焊接机器人 超声波探伤 涂装 防腐 伸缩缝 \
        桥面铺装 湿接缝 高性能混凝土 混凝土养护 裂缝 徐变 挠度 荷载试验 连续刚构 \
        跨海大桥 栈桥 临时墩 贝雷梁 桥梁 钢桁梁 顶推 转体施工 墩身",
    )
});

static RAIL: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "城轨 地铁 无砟轨道 道床 浮置板 钢轨 道岔 钢轨打磨 波磨 扣件 轨距 \
        轨道几何 轨检小车 减振 车站 深基坑 地下连续墙 围护结构 支撑轴力 钢支撑 \
        基坑降水 基坑监测 盖挖法 明挖法 顶板防水 铺轨 焊轨 无缝线路 应力放散 \
        站台门 轨行区 限界 联调联试 高架区间 车辆段 试车线 疏散平台 杂散电流 \
        振动噪声 轨道板 精调 铺架 换铺 轨枕 道砟 钢轨探伤 轨道交通 盾构区间 \
        主体结构 结构渗漏 防迷流 轨排 轨道车 短轨 长钢轨 线路 轨底坡 轨面 \
        钢弹簧 隔振",
    )
});

static POWER: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "接触网 吊弦 承力索 接触线 腕臂 定位器 绝缘子 锚段 补偿装置 刚性接触网 \
        汇流排 导高 拉出值 弓网 受电弓 牵引变电所 变电所 变压器 开关柜 电缆 \
        电缆敷设 电缆支架 通信 信号 信号机 转辙机 计轴 联锁 列控 应答器 电力 \
        供电 二次接线 继电保护 综合自动化 接地装置 防雷 SCADA 光缆 漏缆 \
        基站 系统调试 腕臂预配 BIM预配 四电 电务 吊柱 支柱 硬横梁 软横跨 \
        放线车 隔离开关 环网 接地 整体吊弦 中心锚结 分段绝缘器 电连接 架空地线 \
        回流线",
    )
});

static GENERAL: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "一次合格率 质量控制 QC小组 施工质量 安全风险 隐患排查 标准化 工法 专利 \
        五小成果 技术创新 科技进步 绿色施工 节能减排 降本增效 工效 工期 成本 \
        经济效益 社会效益 推广应用 智能建造 信息化 数字孪生 BIM 物联网 传感器 \
        自动化 机械化 工装 小型机具 模具 夹具 测量 全站仪 水准仪 放样 技术交底 \
        培训 师带徒 劳模 工匠 创新工作室 攻关 试验 检测 监测 预警 管控平台 \
        施工组织 工序 验收 返工 材料损耗 现场管理 作业效率 PDCA 要因确认 \
        对策实施 效果检查",
    )
});

static CONDITIONS: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "富水砂层 软弱围岩 高寒地区 大跨度 小半径曲线 既有线 城市繁华区 跨海 \
        高海拔 复杂地质 近接既有建筑 夜间天窗 高温季节 狭小空间 深厚淤泥 高地应力 \
        繁忙干线 山区",
    )
});
static ACTIONS: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "施工 控制 检测 修复 优化 快速安装 精确定位 自动化监测 加固 更换 安装 \
        调整 预制 拼装 测量 养护 清理 封堵",
    )
});
static PROBLEMS: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "沉降超限 渗漏水 错台 开裂 堵管 磨耗过快 偏差超标 效率低 安全隐患 \
        振动超标 返工率高 精度不足 变形过大 锈蚀 松脱",
    )
});
static METRICS: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "一次合格率 安装效率 施工精度 合格率 工效 安装精度 检测效率 材料利用率 \
        优良率 作业效率",
    )
});
static PARAMS: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "压力 间距 厚度 标高 轴线偏差 垂直度 平整度 温度 坍落度 强度 注浆量 \
        张拉力 位移 拉出值 导高 轨距 水平 扭矩",
    )
});
static UNITS: LazyLock<Vec<&str>> = LazyLock::new(|| words("mm MPa m kN ℃ m³ t cm kPa"));
static EQUIPMENT: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "全站仪 激光位移传感器 液压千斤顶 注浆泵 架桥机 门式起重机 轨道车 放线车 \
        无人机 三维激光扫描仪 智能张拉仪 焊接机器人 激光测距仪 应变计 静力水准仪 \
        红外热像仪",
    )
});
static TECH: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "BIM BIM+GIS 物联网 激光扫描 机器视觉 数字孪生 北斗定位 \
        LiDAR PLC 有限元分析 大数据 5G 智能传感",
    )
});
static DEVICES: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "装置 检测装置 辅助装置 定位装置 专用工具 清洗装置 夹具 小车 支架 防护罩 \
        调节装置 测量尺 吊具 平台",
    )
});
static PLACES: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "滨江市 海州市 云州市 临川市 江陵市 青原市 北湖市 南屿市 东港市 西岭市 \
        长河市 金沙市",
    )
});
static PROJECTS: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "地铁1号线 地铁2号线 地铁3号线 地铁5号线 地铁14号线 城际铁路 高速铁路 \
        跨江大桥 越江隧道 综合管廊 快速路 机场线 环线 市域铁路",
    )
});
static SURNAMES: LazyLock<Vec<&str>> =
    LazyLock::new(|| words("张 王 李 赵 刘 陈 杨 黄 周 吴 徐 孙 马 朱 胡 郭 何 林 高 罗"));
static GIVEN: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "伟 强 磊 军 洋 勇 艳 杰 涛 明 超 秀英 振华 立新 海峰 晓东 雪 斌 \
        建国 志刚 海涛 丽 静 鹏 宇",
    )
});
const AWARDS: &[(&str, &str)] = &[
    ("全国职工优秀技术创新成果", "national"),
    ("全国工程建设优秀QC小组成果", "national"),
    ("省职工优秀技术创新成果", "provincial"),
    ("省土木建筑学会科技进步奖二等奖", "provincial"),
    ("中国铁道学会科学技术奖", "industry"),
    ("中国施工企业管理协会科技创新成果", "industry"),
    ("集团公司科技进步奖", "enterprise"),
    ("集团公司QC成果一等奖", "enterprise"),
];

// ---------------------------------------------------------------- shape

/// How a corpus differs from the default one: more studios (each record's
/// studio drawn among `studios`, the first 10 being the named ones), a tag
/// vocabulary of about `tags` values instead of the domain words alone
/// (0 keeps the words), and bodies `length` times as long. The default
/// shape draws nothing more, so its records stay the same as before.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub studios: usize,
    pub tags: usize,
    pub length: f64,
}

impl Default for Shape {
    fn default() -> Shape {
        Shape {
            studios: STUDIOS.len(),
            tags: 0,
            length: 1.0,
        }
    }
}

impl Shape {
    /// What the corpus and work folders' names add for this shape.
    pub fn suffix(&self) -> String {
        if *self == Shape::default() {
            String::new()
        } else {
            format!("-s{}-t{}-l{}", self.studios, self.tags, self.length)
        }
    }
}

static SHAPE: OnceLock<Shape> = OnceLock::new();

/// Sets the shape once, before anything is generated.
pub fn set_shape(shape: Shape) {
    let _ = SHAPE.set(shape);
}

pub fn shape() -> Shape {
    SHAPE.get().copied().unwrap_or_default()
}

/// The studios of the shape: the 10 named ones, then numbered branches of
/// them (same domain, unit and alliances, names and ids of their own),
/// leaked once so records can keep `&'static` profiles.
pub fn studios() -> &'static [StudioProfile] {
    static ALL: OnceLock<Vec<StudioProfile>> = OnceLock::new();
    ALL.get_or_init(|| {
        let n = shape().studios.max(1);
        let mut all: Vec<StudioProfile> = STUDIOS.iter().take(n).map(StudioProfile::copy).collect();
        for i in STUDIOS.len()..n {
            let base = &STUDIOS[i % STUDIOS.len()];
            let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
            all.push(StudioProfile {
                id: leak(format!("{}-{i}", base.id)),
                name: leak(format!("{}第{i}分室", base.name.trim_end_matches("创新工作室"))),
                ..base.copy()
            });
        }
        all
    })
}

// ---------------------------------------------------------------- profiles

pub struct StudioProfile {
    pub id: &'static str,
    name: &'static str,
    leader: &'static str,
    unit: &'static str,
    pub domain: usize,
    studio_type: &'static str,
    pub alliances: &'static [&'static str],
    stars: u8,
    founded: u16,
}

impl StudioProfile {
    fn copy(&self) -> StudioProfile {
        StudioProfile { ..*self }
    }
}

/// Domains: 0 tunnel, 1 bridge, 2 rail, 3 power.
const DOMAIN_CODES: [&str; 4] = ["SD", "QL", "GD", "DQ"];

pub const STUDIOS: &[StudioProfile] = &[
    StudioProfile {
        id: "tunnel-zhang",
        name: "张振华盾构劳模创新工作室",
        leader: "张振华",
        unit: "中铁隧建集团第二工程有限公司",
        domain: 0,
        studio_type: "research",
        alliances: &["tunnel", "urban-rail"],
        stars: 5,
        founded: 2012,
    },
    StudioProfile {
        id: "tunnel-he",
        name: "何海峰隧道工匠创新工作室",
        leader: "何海峰",
        unit: "中铁隧建集团第三工程有限公司",
        domain: 0,
        studio_type: "five-small",
        alliances: &["tunnel"],
        stars: 4,
        founded: 2015,
    },
    StudioProfile {
        id: "tunnel-zhao",
        name: "赵立新矿山法隧道创新工作室",
        leader: "赵立新",
        unit: "中铁隧建集团第一工程有限公司",
        domain: 0,
        studio_type: "migrant-workforce",
        alliances: &["tunnel"],
        stars: 3,
        founded: 2018,
    },
    StudioProfile {
        id: "bridge-li",
        name: "李建军桥梁劳模创新工作室",
        leader: "李建军",
        unit: "中铁江桥工程局集团有限公司",
        domain: 1,
        studio_type: "research",
        alliances: &["bridge"],
        stars: 5,
        founded: 2011,
    },
    StudioProfile {
        id: "bridge-sun",
        name: "孙海涛钢结构焊接工匠创新工作室",
        leader: "孙海涛",
        unit: "中铁江桥钢结构有限公司",
        domain: 1,
        studio_type: "five-small",
        alliances: &["bridge"],
        stars: 4,
        founded: 2014,
    },
    StudioProfile {
        id: "bridge-zhou",
        name: "周勇高墩施工创新工作室",
        leader: "周勇",
        unit: "中铁江桥工程局集团第五工程有限公司",
        domain: 1,
        studio_type: "party-building",
        alliances: &["bridge"],
        stars: 3,
        founded: 2019,
    },
    StudioProfile {
        id: "rail-wang",
        name: "王磊城轨车站劳模创新工作室",
        leader: "王磊",
        unit: "中铁城轨建设有限公司",
        domain: 2,
        studio_type: "management",
        alliances: &["urban-rail"],
        stars: 4,
        founded: 2016,
    },
    StudioProfile {
        id: "rail-liu",
        name: "刘洋轨道工程创新工作室",
        leader: "刘洋",
        unit: "中铁城轨轨道工程有限公司",
        domain: 2,
        studio_type: "research",
        alliances: &["urban-rail"],
        stars: 4,
        founded: 2013,
    },
    StudioProfile {
        id: "power-chen",
        name: "陈晓东接触网技能大师工作室",
        leader: "陈晓东",
        unit: "中铁电气化局集团第一工程有限公司",
        domain: 3,
        studio_type: "research",
        alliances: &["four-electric", "urban-rail"],
        stars: 5,
        founded: 2010,
    },
    StudioProfile {
        id: "signal-huang",
        name: "黄志刚通信信号创新工作室",
        leader: "黄志刚",
        unit: "中铁电气化局集团通信信号有限公司",
        domain: 3,
        studio_type: "overseas",
        alliances: &["four-electric"],
        stars: 3,
        founded: 2017,
    },
];

pub struct AllianceProfile {
    pub id: &'static str,
    name: &'static str,
    domain: &'static str,
    lead: &'static str,
    founded: u16,
}

pub const ALLIANCES: &[AllianceProfile] = &[
    AllianceProfile {
        id: "bridge",
        name: "桥梁劳模和工匠人才创新工作室联盟",
        domain: "桥梁",
        lead: "bridge-li",
        founded: 2021,
    },
    AllianceProfile {
        id: "tunnel",
        name: "隧道劳模和工匠人才创新工作室联盟",
        domain: "隧道",
        lead: "tunnel-zhang",
        founded: 2020,
    },
    AllianceProfile {
        id: "urban-rail",
        name: "城轨工程劳模和工匠人才创新工作室联盟",
        domain: "城轨",
        lead: "rail-wang",
        founded: 2021,
    },
    AllianceProfile {
        id: "four-electric",
        name: "四电工程劳模和工匠人才创新工作室联盟",
        domain: "四电工程",
        lead: "power-chen",
        founded: 2022,
    },
];

/// The studios of an alliance (the bare engine has no profiles and filters
/// an alliance as these studios).
pub fn studios_of(alliance: &str) -> Vec<&'static str> {
    studios()
        .iter()
        .filter(|s| s.alliances.contains(&alliance))
        .map(|s| s.id)
        .collect()
}

fn domain_words(domain: usize) -> &'static [&'static str] {
    [&TUNNEL, &BRIDGE, &RAIL, &POWER][domain]
}

// ---------------------------------------------------------------- records

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Achievement,
    Patent,
    Method,
    Problem,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Achievement => "achievement",
            Kind::Patent => "patent",
            Kind::Method => "method",
            Kind::Problem => "problem",
        }
    }
}

/// What record `i` is, from the first draws of its stream: enough to name
/// it (for `related` / `solved_by` links) without generating it.
pub struct Meta {
    pub studio: &'static StudioProfile,
    pub kind: Kind,
    pub year: u64,
    pub rel: String,
    pub id: String,
}

fn meta(rng: &mut Rng, i: u64) -> Meta {
    let all = studios();
    let studio = &all[rng.below(all.len())];
    let k = rng.unit();
    let kind = if k < 0.35 {
        Kind::Achievement
    } else if k < 0.60 {
        Kind::Patent
    } else if k < 0.80 {
        Kind::Method
    } else {
        Kind::Problem
    };
    // More recent years are more frequent.
    let u = rng.unit();
    let year = 2025 - ((u * u) * 14.0) as u64;
    let bundle = rng.chance(0.01);
    let chinese_slug = rng.chance(0.1);
    let prefix = kind.as_str();
    let slug = if chinese_slug {
        format!("{}{}-{i:07}", rng.pick(domain_words(studio.domain)), rng.pick(&ACTIONS))
    } else {
        format!("{prefix}-{i:07}")
    };
    let id = format!("{}/{year}/{slug}", studio.id);
    let rel = if bundle {
        format!("{id}/index.md")
    } else {
        format!("{id}.md")
    };
    Meta {
        studio,
        kind,
        year,
        rel,
        id,
    }
}

pub fn meta_of(seed: u64, i: u64) -> Meta {
    meta(&mut Rng::for_record(seed, i), i)
}

/// A generated record: where it goes, its text, and its code if any.
pub struct Generated {
    pub rel: String,
    pub text: String,
    pub code: Option<String>,
    pub visibility: &'static str,
}

struct Words<'a> {
    rng: &'a mut Rng,
    domain: &'static [&'static str],
}

impl Words<'_> {
    /// A domain word most of the time, a general one otherwise.
    fn term(&mut self) -> &'static str {
        if self.rng.chance(0.75) {
            self.rng.skewed(self.domain)
        } else {
            self.rng.skewed(&GENERAL)
        }
    }

    fn person(&mut self) -> String {
        format!("{}{}", self.rng.pick(&SURNAMES), self.rng.pick(&GIVEN))
    }

    fn project(&mut self) -> String {
        format!("{}{}", self.rng.pick(&PLACES), self.rng.pick(&PROJECTS))
    }

    fn percent(&mut self) -> (u64, u64) {
        let a = self.rng.range(62, 90);
        (a, (a + self.rng.range(3, 9)).min(99))
    }

    fn sentence(&mut self, kind_word: &str) -> String {
        let (t1, t2, t3) = (self.term(), self.term(), self.term());
        let r = &mut *self.rng;
        let cond = r.pick(&CONDITIONS);
        let act = r.pick(&ACTIONS);
        let prob = r.pick(&PROBLEMS);
        let metric = r.pick(&METRICS);
        let param = r.pick(&PARAMS);
        let param2 = r.pick(&PARAMS);
        let unit = r.pick(&UNITS);
        let equip = r.pick(&EQUIPMENT);
        let tech = r.pick(&TECH);
        let v = r.range(2, 300);
        match r.below(12) {
            0 => format!("{cond}条件下{t1}{act}时，{t2}{prob}的问题较为突出，直接影响{metric}。"),
            1 => {
                let (a, b) = self.percent();
                format!("工作室采用{tech}技术对{t1}进行{act}，{metric}由{a}%提高到{b}%。")
            }
            2 => format!("{t1}的{param}控制在{v}{unit}以内，{t2}{act}完成后应及时进行{t3}。"),
            3 => format!(
                "项目部组织QC小组开展{t1}{act}专项攻关，累计节约成本{}.{}万元。",
                v,
                r.below(10)
            ),
            4 => format!("施工前应对{t1}、{t2}和{t3}进行技术交底，明确{param}和{param2}的控制标准。"),
            5 => format!(
                "经过{}个月的现场应用，{t1}{prob}次数由每月{}次下降到{}次。",
                r.range(3, 18),
                r.range(8, 20),
                r.range(0, 4)
            ),
            6 => {
                let project = self.project();
                let n = self.rng.range(5, 60);
                format!("{project}采用本{kind_word}后，{t1}{act}工期缩短{n}天，{t2}质量稳定可控。")
            }
            7 => format!("{t1}施工采用{equip}，配合{t2}，保证{t3}{param}满足设计要求。"),
            8 => format!("{t1}是影响{t2}质量的关键工序，其{param}偏差不得超过±{v}{unit}。"),
            9 => format!("针对{t1}{prob}，分析认为主要原因是{t2}{param}不稳定和{t3}{act}不到位。"),
            10 => format!(
                "现场设置{}个{t1}监测点，采用{equip}每{}小时采集一次数据，超限自动预警。",
                v,
                r.range(1, 12)
            ),
            _ => format!("{t1}与{t2}交叉作业时，须划定警戒区，由专人指挥，严禁在{t3}下方停留。"),
        }
    }

    fn paragraph(&mut self, kind_word: &str) -> String {
        let n = self.rng.range(2, 5);
        (0..n).map(|_| self.sentence(kind_word)).collect()
    }

    fn list(&mut self, kind_word: &str) -> String {
        let n = self.rng.range(3, 6);
        let mut out = String::new();
        for k in 1..=n {
            let _ = writeln!(out, "{k}. {}", self.sentence(kind_word));
        }
        out
    }

    fn table(&mut self) -> String {
        let mut out = String::from("| 检查项目 | 允许偏差 | 检验方法 |\n|---|---|---|\n");
        for _ in 0..self.rng.range(3, 6) {
            let term = self.term();
            let r = &mut *self.rng;
            let _ = writeln!(
                out,
                "| {term}{} | ±{}{} | {}检查 |",
                r.pick(&PARAMS),
                r.range(1, 30),
                r.pick(&UNITS),
                r.pick(&EQUIPMENT)
            );
        }
        out
    }
}

fn chapters(kind: Kind, category: Option<&str>, solved: bool) -> &'static [&'static str] {
    match (kind, category) {
        (Kind::Method, _) => &[
            "前言",
            "工法特点",
            "适用范围",
            "工艺原理",
            "施工工艺流程及操作要点",
            "材料与设备",
            "质量控制",
            "安全措施",
            "环保措施",
            "效益分析",
            "应用实例",
        ],
        (Kind::Patent, _) => &[
            "技术领域",
            "背景技术",
            "发明内容",
            "附图说明",
            "具体实施方式",
            "有益效果",
        ],
        (Kind::Achievement, Some("qc")) => &[
            "课题选定",
            "现状调查",
            "目标设定",
            "原因分析",
            "要因确认",
            "制定对策",
            "对策实施",
            "效果检查",
            "巩固措施",
            "总结与打算",
        ],
        (Kind::Achievement, _) => &["项目背景", "主要创新点", "关键技术", "实施效果", "推广应用"],
        (Kind::Problem, _) if solved => &["问题描述", "现场情况", "已采取的措施", "希望得到的帮助", "处理结果"],
        (Kind::Problem, _) => &["问题描述", "现场情况", "已采取的措施", "希望得到的帮助"],
    }
}

fn date(rng: &mut Rng, year: u64) -> String {
    format!("{year}-{:02}-{:02}", rng.range(1, 12), rng.range(1, 28))
}

/// A YAML scalar: plain when safe, double-quoted otherwise.
fn yaml(s: &str) -> String {
    let risky = s.is_empty()
        || s.starts_with(|c: char| c.is_whitespace() || "-?:,[]{}#&*!|>'\"%@`".contains(c))
        || s.ends_with(char::is_whitespace)
        || s.contains(": ")
        || s.contains(" #")
        || s.contains(['"', '\\', ',', '[', ']', '{', '}']);
    if risky {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s.to_string()
    }
}

fn yaml_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| yaml(s)).collect();
    format!("[{}]", items.join(", "))
}

fn distinct(words: &mut Words, n: u64) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for _ in 0..n * 3 {
        let t = words.term().to_string();
        if !out.contains(&t) {
            out.push(t);
        }
        if out.len() as u64 >= n {
            break;
        }
    }
    out
}

/// Record `i` of the corpus with this seed.
pub fn record(seed: u64, i: u64) -> Generated {
    let mut rng = Rng::for_record(seed, i);
    let m = meta(&mut rng, i);
    let domain = domain_words(m.studio.domain);
    let mut w = Words { rng: &mut rng, domain };
    let (t1, t2) = (w.term(), w.term());
    let cond = w.rng.pick(&CONDITIONS);
    let act = w.rng.pick(&ACTIONS);
    let mut fm = String::from("---\n");
    let mut code = None;
    let category = match m.kind {
        Kind::Achievement => Some(
            w.rng
                .pick(&["tech", "tech", "qc", "qc", "five-small", "management", "other"]),
        ),
        _ => None,
    };
    let solved = m.kind == Kind::Problem && w.rng.chance(0.6);
    let title = match (m.kind, category) {
        (Kind::Method, _) if w.rng.chance(0.5) => format!("{cond}{t1}{t2}{act}施工工法"),
        (Kind::Method, _) => format!("{t1}{t2}{act}工法"),
        (Kind::Patent, _) if w.rng.chance(0.3) => {
            format!("一种{t1}{t2}{}及其施工方法", w.rng.pick(&DEVICES))
        }
        (Kind::Patent, _) => format!(
            "一种{t1}{}{}",
            w.rng.pick(&["用", "", "自动", "快速"]),
            w.rng.pick(&DEVICES)
        ),
        (Kind::Achievement, Some("qc")) if w.rng.chance(0.5) => format!("提高{t1}{}", w.rng.pick(&METRICS)),
        (Kind::Achievement, Some("qc")) => format!("降低{t1}{}发生率", w.rng.pick(&PROBLEMS)),
        (Kind::Achievement, Some("five-small")) => format!("{t1}{}的研制", w.rng.pick(&DEVICES)),
        (Kind::Achievement, Some("management")) => format!("{t1}{t2}管理模式创新"),
        (Kind::Achievement, _) => format!(
            "基于{}的{t1}{t2}{}",
            w.rng.pick(&TECH),
            w.rng.pick(&["系统", "平台", "技术", "方法"])
        ),
        (Kind::Problem, _) if w.rng.chance(0.5) => format!("{cond}{t1}{}求助", w.rng.pick(&PROBLEMS)),
        (Kind::Problem, _) => format!("{t1}{t2}{}难题攻关", w.rng.pick(&PROBLEMS)),
    };
    let _ = writeln!(fm, "title: {}", yaml(&title));
    let _ = writeln!(fm, "kind: {}", m.kind.as_str());
    if let Some(c) = category {
        let _ = writeln!(fm, "category: {c}");
    }
    let _ = writeln!(fm, "studio: {}", m.studio.id);
    let record_date = date(w.rng, m.year);
    let _ = writeln!(fm, "date: {record_date}");
    let authors: Vec<String> = (0..w.rng.range(1, 5)).map(|_| w.person()).collect();
    let _ = writeln!(fm, "authors: {}", yaml_list(&authors));
    let n_tags = w.rng.range(2, 5);
    let mut tags = distinct(&mut w, n_tags);
    let wide = shape().tags / 250;
    if wide > 1 {
        // About `tags` values: each word in `wide` numbered variants.
        for t in &mut tags {
            *t = format!("{t}{}", w.rng.below(wide));
        }
        let mut seen = Vec::new();
        tags.retain(|t| {
            let new = !seen.contains(t);
            seen.push(t.clone());
            new
        });
    }
    let _ = writeln!(fm, "tags: {}", yaml_list(&tags));
    let v = w.rng.unit();
    let visibility = if v < 0.6 {
        "public"
    } else if v < 0.9 {
        "members"
    } else {
        "studio"
    };
    let _ = writeln!(fm, "visibility: {visibility}");
    if w.rng.chance(0.6) {
        let mut summary = String::new();
        for _ in 0..w.rng.range(1, 3) {
            summary.push_str(&w.sentence("成果"));
        }
        let summary: String = summary.chars().take(480).collect();
        let _ = writeln!(fm, "summary: {}", yaml(&summary));
    }
    if m.kind != Kind::Problem && w.rng.chance(0.6) {
        let _ = writeln!(fm, "benefit: {}.{}", w.rng.range(3, 480), w.rng.below(10));
    }
    if m.kind != Kind::Problem && w.rng.chance(0.3) {
        fm.push_str("awards:\n");
        for _ in 0..w.rng.range(1, 2) {
            let (name, level) = w.rng.pick(AWARDS);
            let _ = writeln!(fm, "  - {{name: {name}, level: {level}, year: {}}}", m.year.min(2025));
        }
    }
    if m.kind != Kind::Problem && w.rng.chance(0.4) {
        fm.push_str("applied_in:\n");
        for _ in 0..w.rng.range(1, 3) {
            let project = w.project();
            let year = w.rng.range(m.year.saturating_sub(2), m.year);
            if w.rng.chance(0.3) {
                let _ = writeln!(
                    fm,
                    "  - {{project: {project}, year: {year}, note: {}{}}}",
                    w.term(),
                    w.rng.pick(&ACTIONS)
                );
            } else {
                let _ = writeln!(fm, "  - {{project: {project}, year: {year}}}");
            }
        }
    }
    if i > 10 && w.rng.chance(0.1) {
        let j = w.rng.range(i.saturating_sub(5000), i - 1);
        let _ = writeln!(fm, "related: [{}]", meta_of(seed, j).id);
    }
    let domain_code = DOMAIN_CODES[m.studio.domain];
    match m.kind {
        Kind::Achievement => {}
        Kind::Patent => {
            let t = w.rng.below(10);
            let (patent_type, type_digit, suffix) = if t < 4 {
                ("invention", 1, "B")
            } else if t < 9 {
                ("utility", 2, "U")
            } else {
                ("design", 3, "S")
            };
            let filing_year = m.year.saturating_sub(w.rng.range(0, 2)).max(2010);
            let no = format!(
                "CN{filing_year}{type_digit}{:07}.{}",
                w.rng.range(0, 9_999_999),
                w.rng.pick(&["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "X"])
            );
            let status = w.rng.pick(&[
                "granted",
                "granted",
                "granted",
                "pending",
                "expired",
                "rejected",
                "withdrawn",
            ]);
            let _ = writeln!(fm, "patent_type: {patent_type}");
            let _ = writeln!(fm, "application_no: {no}");
            let _ = writeln!(
                fm,
                "publication_no: CN{}{suffix}",
                w.rng.range(100_000_000, 999_999_999)
            );
            // Filed on or before the record's date, which is the grant date.
            let filed = date(w.rng, filing_year).min(record_date.clone());
            let _ = writeln!(fm, "filing_date: {filed}");
            if status == "granted" || status == "expired" {
                let _ = writeln!(fm, "grant_date: {record_date}");
            }
            let _ = writeln!(fm, "status: {status}");
            let _ = writeln!(fm, "assignee: {}", m.studio.unit);
            let ipc = match m.studio.domain {
                0 => ["E21D 9/06", "E21D 11/08", "E21D 11/10"],
                1 => ["E01D 19/12", "E01D 21/00", "E01D 22/00"],
                2 => ["E01B 9/68", "E01B 31/17", "B61K 9/08"],
                _ => ["B60M 1/23", "H02G 1/08", "B61L 23/04"],
            };
            let _ = writeln!(fm, "ipc: [{}, G01B 11/14]", w.rng.pick(&ipc));
            code = Some(no);
        }
        Kind::Method => {
            let l = w.rng.unit();
            let level = if l < 0.1 {
                "national"
            } else if l < 0.4 {
                "provincial"
            } else {
                "enterprise"
            };
            let method_code = if level == "national" {
                format!("GJEJGF{:03}-{}", w.rng.range(1, 400), m.year)
            } else {
                format!("QB-{domain_code}-{}-{:02}", m.year, w.rng.range(1, 99))
            };
            let _ = writeln!(fm, "method_code: {method_code}");
            let _ = writeln!(fm, "level: {level}");
            let _ = writeln!(
                fm,
                "scope: 适用于{}{}{}施工",
                w.rng.pick(&CONDITIONS),
                w.term(),
                w.term()
            );
            code = Some(method_code);
        }
        Kind::Problem => {
            let _ = writeln!(fm, "status: {}", if solved { "solved" } else { "open" });
            if solved && i > 10 {
                // A solution is a record of another kind, never a problem.
                let solution = (0..8)
                    .map(|_| meta_of(seed, w.rng.range(i.saturating_sub(5000), i - 1)))
                    .find(|other| other.kind != Kind::Problem);
                if let Some(solution) = solution {
                    let _ = writeln!(fm, "solved_by: [{}]", solution.id);
                }
            }
        }
    }
    fm.push_str("---\n\n");

    // Body: 1–8 KB, mostly 2–4 KB, in the chapters of its kind.
    let u = w.rng.unit();
    let target = ((1024.0 + 7000.0 * u * u) * shape().length) as usize;
    let kind_word = match m.kind {
        Kind::Method => "工法",
        Kind::Patent => "装置",
        Kind::Achievement => "成果",
        Kind::Problem => "方案",
    };
    let chapters = chapters(m.kind, category, solved);
    let budget = target / chapters.len();
    let mut body = String::with_capacity(target + 512);
    let first = w.paragraph(kind_word);
    body.push_str(&first);
    body.push_str("\n\n");
    for chapter in chapters {
        let start = body.len();
        let _ = writeln!(body, "## {chapter}\n");
        while body.len() - start < budget {
            let r = w.rng.unit();
            if r < 0.12 {
                body.push_str(&w.list(kind_word));
            } else if r < 0.18 {
                body.push_str(&w.table());
            } else {
                body.push_str(&w.paragraph(kind_word));
                body.push('\n');
            }
            body.push('\n');
        }
    }
    while body.len() < (1024.0 * shape().length.min(1.0)) as usize {
        body.push_str(&w.paragraph(kind_word));
        body.push_str("\n\n");
    }
    fm.push_str(&body);
    Generated {
        rel: m.rel,
        text: fm,
        code,
        visibility,
    }
}

fn studio_file(s: &StudioProfile) -> String {
    let mut rng = Rng::new(s.founded as u64);
    let domain = domain_words(s.domain);
    let mut w = Words { rng: &mut rng, domain };
    let alliances: Vec<String> = s.alliances.iter().map(|a| a.to_string()).collect();
    format!(
        "---\nkind: studio\nname: {}\nunit: {}\nleader: {}\nstars: {}\nstudio_type: {}\nalliances: {}\nfounded: {}\n---\n\n{}成立于{}年，领衔人{}。\n\n{}\n\n{}\n",
        s.name,
        s.unit,
        s.leader,
        s.stars,
        s.studio_type,
        yaml_list(&alliances),
        s.founded,
        s.name,
        s.founded,
        s.leader,
        w.paragraph("成果"),
        w.paragraph("成果")
    )
}

fn alliance_file(a: &AllianceProfile) -> String {
    format!(
        "---\nkind: alliance\nname: {}\ndomain: {}\nlead_studio: {}\nlead_since: 2024\nfounded: {}\n---\n\n{}成立于{}年，实行轮流牵头负责制，围绕{}领域的重点难题开展跨单位攻关，成员的工法、专利、QC成果和五小成果统一录入“智汇”成果库。\n",
        a.name, a.domain, a.lead, a.founded, a.name, a.founded, a.domain
    )
}

fn write_profiles(content: &Path) -> std::io::Result<()> {
    fs::create_dir_all(content.join("studios"))?;
    fs::create_dir_all(content.join("alliances"))?;
    for s in studios() {
        fs::write(content.join(format!("studios/{}.md", s.id)), studio_file(s))?;
    }
    for a in ALLIANCES {
        fs::write(content.join(format!("alliances/{}.md", a.id)), alliance_file(a))?;
    }
    fs::write(content.join("dictionary.txt"), DICTIONARY)?;
    fs::write(content.join("synonyms.txt"), SYNONYMS)?;
    Ok(())
}

fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, text)
}

/// `<data>/corpus-<N>-<seed>`, generated unless it already holds this
/// generator's output for the same parameters. Returns the folder and
/// whether it was (re)generated.
pub fn ensure_corpus(data: &Path, records: u64, seed: u64) -> std::io::Result<(PathBuf, bool)> {
    let shape = shape();
    let dir = data.join(format!("corpus-{records}-{seed}{}", shape.suffix()));
    let mut stamp = format!("{GENERATOR_VERSION}\nrecords={records}\nseed={seed}\n");
    if shape != Shape::default() {
        let _ = writeln!(stamp, "shape={shape:?}");
    }
    if fs::read_to_string(dir.join("params.txt")).ok().as_deref() == Some(stamp.as_str()) {
        return Ok((dir, false));
    }
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    let content = dir.join("content");
    write_profiles(&content)?;
    let threads = 2u64;
    std::thread::scope(|scope| -> std::io::Result<()> {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let content = &content;
                scope.spawn(move || -> std::io::Result<()> {
                    let mut i = t;
                    while i < records {
                        let g = record(seed, i);
                        write_file(&content.join(&g.rel), &g.text)?;
                        i += threads;
                        if t == 0 && i % 20_000 == 0 {
                            eprintln!("  generated {i}/{records}");
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| std::io::Error::other("generator thread panicked"))??;
        }
        Ok(())
    })?;
    // An exhibit of the first public records.
    let items: Vec<String> = (0..records.min(200))
        .map(|i| (meta_of(seed, i).id, record(seed, i).visibility))
        .filter(|(_, v)| *v == "public")
        .take(8)
        .map(|(id, _)| format!("  - {id}"))
        .collect();
    fs::create_dir_all(content.join("exhibits"))?;
    fs::write(
        content.join("exhibits/showcase.md"),
        format!(
            "---\nkind: exhibit\ntitle: 优秀创新成果展\nvisibility: public\nitems:\n{}\n---\n\n联盟年度优秀成果。\n",
            items.join("\n")
        ),
    )?;
    fs::write(dir.join("params.txt"), stamp)?;
    Ok((dir, true))
}

/// Codes of the first records, for the code queries of the mix.
pub fn sample_codes(seed: u64, records: u64) -> (Vec<String>, Vec<String>) {
    let mut patents = Vec::new();
    let mut methods = Vec::new();
    for i in 0..records.min(400) {
        let g = record(seed, i);
        match g.code {
            Some(c) if c.starts_with("CN") && g.visibility == "public" => patents.push(c),
            Some(c) if c.starts_with("QB-") && g.visibility == "public" => methods.push(c),
            _ => {}
        }
    }
    (patents, methods)
}

// ---------------------------------------------------------------- lawrefbook

fn hash(text: &str) -> u64 {
    let bytes = blake3::hash(text.as_bytes());
    u64::from_le_bytes(bytes.as_bytes()[..8].try_into().unwrap_or([0; 8]))
}

/// A date in the file name (`…(2020-03-26).md`), or one derived from the path.
fn date_of(rel: &str, h: u64) -> String {
    if let Some(open) = rel.rfind('(') {
        let inside = &rel[open + 1..];
        if inside.len() >= 11 && inside.as_bytes()[10] == b')' {
            let d = &inside[..10];
            let b = d.as_bytes();
            if b[4] == b'-' && b[7] == b'-' && d.chars().filter(char::is_ascii_digit).count() == 8 {
                return d.to_string();
            }
        }
    }
    format!("{}-{:02}-{:02}", 2000 + h % 25, 1 + (h >> 8) % 12, 1 + (h >> 16) % 28)
}

/// `<data>/corpus-lawref`: every file of lawrefbook.tar.gz (but the
/// `_index.md` section files) as a record under `content/law/`, wrapped in
/// front matter with a studio and a date derived from its path.
pub fn ensure_lawref(data: &Path, tarball: &Path) -> std::io::Result<(PathBuf, bool)> {
    let dir = data.join("corpus-lawref");
    let stamp = format!("{LAWREF_VERSION}\n{}\n", tarball.display());
    if fs::read_to_string(dir.join("params.txt")).ok().as_deref() == Some(stamp.as_str()) {
        return Ok((dir, false));
    }
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    let unpacked = dir.join("unpacked");
    fs::create_dir_all(&unpacked)?;
    let status = Command::new("tar")
        .arg("xzf")
        .arg(tarball)
        .arg("-C")
        .arg(&unpacked)
        .status()?;
    if !status.success() {
        return Err(std::io::Error::other(format!("tar xzf {} failed", tarball.display())));
    }
    let root = unpacked.join("lawrefbook");
    let content = dir.join("content");
    write_profiles(&content)?;
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "md") && p.file_name().is_some_and(|n| n != "_index.md"))
        .collect();
    files.sort();
    for path in &files {
        let Ok(rel) = path.strip_prefix(&root) else { continue };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let Ok(text) = fs::read_to_string(path) else { continue };
        let h = hash(&rel);
        let stem = rel.rsplit('/').next().unwrap_or(&rel).trim_end_matches(".md");
        let title = text
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or(stem);
        let title: String = title.chars().take(200).collect();
        let studio = STUDIOS[(h % STUDIOS.len() as u64) as usize].id;
        let folders: Vec<String> = rel
            .split('/')
            .rev()
            .skip(1)
            .take(2)
            .map(|f| f.chars().take(20).collect())
            .collect();
        let kind = match (h >> 24) % 10 {
            0..=5 => "kind: achievement\ncategory: management",
            6..=7 => "kind: method\nlevel: provincial",
            _ => "kind: problem\nstatus: open",
        };
        let wrapped = format!(
            "---\ntitle: {}\n{kind}\nstudio: {studio}\ndate: {}\ntags: {}\nvisibility: public\n---\n\n{text}",
            yaml(&title),
            date_of(&rel, h),
            yaml_list(&folders),
        );
        write_file(&content.join("law").join(&rel), &wrapped)?;
    }
    fs::remove_dir_all(&unpacked)?;
    fs::write(dir.join("params.txt"), stamp)?;
    Ok((dir, true))
}
