//! The words of the interface in Simplified Chinese (default) and English,
//! and the labels of every enum value the content format defines.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::search::FacetField;
use crate::search::query::Notice;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" | "zh-Hans" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// From `?lang=`, else the `lang` cookie, else Chinese.
    pub fn from_parts(parts: &Parts) -> Lang {
        let from_query = parts.uri.query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .and_then(|(_, v)| Lang::parse(&v))
        });
        from_query
            .or_else(|| super::session::cookie(&parts.headers, "lang").and_then(|v| Lang::parse(&v)))
            .unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_parts(parts))
    }
}

/// Interface words, looked up by key in the current language.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

const TEXTS: &[(&str, &str, &str)] = &[
    ("site_name", "智汇", "Zhihui"),
    (
        "tagline",
        "创新工作室联盟成果知识库",
        "Innovation studio alliance knowledge base",
    ),
    ("search", "搜索", "Search"),
    (
        "placeholder",
        "搜索成果、专利、工法、难题，或输入专利号、工法编号",
        "Search achievements, patents, methods, problems, or a patent / method code",
    ),
    ("alliances", "联盟", "Alliances"),
    ("studios", "工作室", "Studios"),
    ("exhibits", "成果展", "Exhibits"),
    ("add_to_exhibit", "加入成果展", "Add to exhibit"),
    ("stats", "统计", "Statistics"),
    ("other_lang", "English", "中文"),
    ("results", "条结果", "results"),
    ("took", "用时", "in"),
    ("no_results", "没有找到符合条件的记录。", "No records match."),
    (
        "words_alone",
        "各词单独搜索（不含筛选）：",
        "Each word alone (without filters):",
    ),
    ("records_count", "条", "records"),
    (
        "ask_as_problem",
        "还是没有答案？把这个问题发布为难题，请联盟里的其他工作室帮忙",
        "Still no answer? Post it as a problem for the alliance's other studios",
    ),
    (
        "no_results_hint",
        "试试更少或更短的词，去掉部分筛选条件，或换一种说法（如“城轨”与“地铁”）。",
        "Try fewer or shorter words, remove a filter, or another wording.",
    ),
    ("filters", "筛选", "Filters"),
    ("facet_more", "更多", "More"),
    ("facet_values", "个值", "values"),
    ("facet_prefix", "按开头查找", "Starts with"),
    ("facet_find", "查找", "Find"),
    ("facet_none", "没有符合的值。", "No value matches."),
    (
        "facet_more_hint",
        "只列出最常见的值：输入开头的字或名称可找到其余的。",
        "Only the most frequent values are listed: type the start of a value or name to find the rest.",
    ),
    ("facet_back", "返回搜索结果", "Back to the results"),
    (
        "beyond_last",
        "这一页已超出结果范围：结果在前面的页中。",
        "This page is past the last page of results.",
    ),
    ("to_last_page", "转到最后一页", "Go to the last page"),
    ("menu", "菜单", "Menu"),
    ("changed_fields", "修改的字段", "Changed fields"),
    (
        "files_failed",
        "记录已保存，但有附件未能保存：请在下方重新上传。",
        "The record was saved, but some files were not: please upload them again below.",
    ),
    (
        "change_waiting",
        "您对这条记录的修改正在审核中，网站上仍显示已发布的版本",
        "Your change to this record is under review; the published version is shown until then",
    ),
    ("view_submission", "查看提交", "View submission"),
    ("approval_comment", "审核通过意见", "Reviewer's comment on approval"),
    ("award_name", "奖项名称", "Award"),
    ("year", "年份", "Year"),
    ("project", "项目", "Project"),
    ("note", "备注", "Note"),
    (
        "files_hint",
        "选好的文件会先保存（预览中即可看到），提交后成为这条记录的附件。在正文中用 ![说明](文件名) 插入图片。",
        "Files chosen here are kept for the preview and attached when you submit. Insert an image in the body with ![caption](file name).",
    ),
    ("version", "版本", "Version"),
    ("time", "时间", "Time"),
    ("author", "操作人", "By"),
    ("action", "操作", "Action"),
    ("field", "字段", "Field"),
    ("before", "原值", "Before"),
    ("after", "新值", "After"),
    ("value", "内容", "Value"),
    ("removed", "（已删除）", "(removed)"),
    ("body_changes", "正文修改", "Changes to the body"),
    ("body_unchanged", "正文没有修改。", "The body is unchanged."),
    ("submitted_at", "提交于", "Submitted"),
    (
        "review_comment_hint",
        "通过时可选填，会写入版本历史并告知工作室；退回时必填",
        "Optional when approving (kept in the history for the studio); required when returning",
    ),
    ("done_approved", "已通过并发布", "Approved and published"),
    (
        "done_returned",
        "已退回工作室修改，审核意见已告知工作室",
        "Returned to the studio with your comment",
    ),
    (
        "done_submitted",
        "已提交，等待工会审核：审核通过前只有本工作室和工会工作人员可见",
        "Submitted for review: until approved only your studio and union staff can see it",
    ),
    (
        "done_submitted_change",
        "修改已提交审核：通过前网站上仍显示已发布的版本",
        "Your change awaits review: the published version stays on the site until then",
    ),
    ("done_published", "已保存并发布", "Saved and published"),
    ("skip_to_content", "跳到正文", "Skip to content"),
    ("clear_filters", "清除全部筛选", "Clear all filters"),
    ("remove_filter", "移除筛选", "Remove filter"),
    ("sort", "排序", "Sort"),
    ("sort_relevance", "相关度", "Relevance"),
    ("sort_newest", "最新", "Newest"),
    ("sort_benefit", "经济效益", "Benefit"),
    ("sort_adoption", "应用推广", "Adoptions"),
    ("prev", "上一页", "Previous"),
    ("next", "下一页", "Next"),
    ("page", "页", "Page"),
    ("latest", "最新成果", "Latest records"),
    ("all_records", "全部记录", "All records"),
    ("studio", "工作室", "Studio"),
    ("unit", "单位", "Unit"),
    ("leader", "领衔人", "Leader"),
    ("stars", "星级", "Stars"),
    ("studio_type", "类型", "Type"),
    ("founded", "成立", "Founded"),
    ("domain", "领域", "Domain"),
    ("lead_studio", "轮值牵头工作室", "Lead studio"),
    ("lead_since", "牵头起始", "Leading since"),
    ("members", "成员工作室", "Member studios"),
    ("star_suffix", "星级", " stars"),
    ("sort_name", "名称", "Name"),
    ("sort_founded", "成立年份", "Founded"),
    ("sort_records", "记录数", "Records"),
    ("sort_patents", "授权专利", "Patents granted"),
    ("sort_benefit", "经济效益", "Benefit"),
    ("view_cards", "卡片", "Cards"),
    ("view_table", "表格（可打印）", "Table (printable)"),
    ("studios_count", "个工作室", "studios"),
    ("naming", "命名", "Named by"),
    ("member_count", "成员人数", "Members"),
    ("contact", "联系方式", "Contact"),
    ("contact_hidden", "登录后可见", "Sign in to see"),
    ("star_history", "历年星级", "Star history"),
    ("year", "年份", "Year"),
    ("figures", "成果统计", "Figures"),
    ("records_total", "记录", "Records"),
    ("patents_granted", "授权专利", "Patents granted"),
    ("methods_by_level", "工法（按等级）", "Methods by level"),
    ("awards_by_level", "获奖记录（按级别）", "Awarded records by level"),
    ("adoptions", "应用推广", "Adoptions"),
    ("adoptions_unit", "项", "projects"),
    ("problems_solved", "本室难题已解决", "Own problems solved"),
    ("problems_helped", "帮助他室解决难题", "Problems of others solved"),
    ("problem_board", "难题榜", "Problem board"),
    (
        "figures_note",
        "统计仅含您有权查看的记录。",
        "Counts only the records you may see.",
    ),
    ("patents", "专利提醒", "Patent watch"),
    ("fees_due", "年费到期", "Annual fees due"),
    ("lapsing", "即将期满", "Terms ending"),
    ("long_pending", "长期审查中", "Pending long"),
    ("fee_date", "缴费日", "Fee due"),
    ("term_end", "期满日", "Term ends"),
    ("next_fee", "下次年费", "Next annual fee"),
    ("days_left", "剩余天数", "Days left"),
    ("days_pending", "已审查天数", "Days pending"),
    ("within_days", "天内", "days ahead"),
    ("over_days", "天以上", "days or more"),
    ("nothing_due", "无。", "None."),
    ("apply", "应用", "Apply"),
    ("calendar_feed", "日历订阅（iCalendar）", "Calendar feed (iCalendar)"),
    (
        "calendar_hint",
        "在日历应用中订阅：管理员执行 zhihui token new 账号 --label calendar --feed 生成只读订阅令牌，订阅地址为 /patents.ics?token=令牌。",
        "Subscribe in a calendar app: staff run zhihui token new NAME --label calendar --feed for a read-only feed token; the address is /patents.ics?token=TOKEN.",
    ),
    ("records_of", "成果与记录", "Records"),
    ("date", "日期", "Date"),
    ("authors", "完成人", "Authors"),
    ("partners", "合作工作室", "Partner studios"),
    ("tags", "关键词", "Tags"),
    ("summary", "摘要", "Summary"),
    ("benefit", "经济效益", "Economic benefit"),
    ("wan_yuan", "万元", "× 10,000 CNY"),
    ("awards", "获奖", "Awards"),
    ("applied_in", "应用推广", "Applied in"),
    ("related", "相关记录", "Related records"),
    ("similar", "相似成果", "Similar work"),
    ("more_from_studio", "本工作室其他成果", "More from this studio"),
    ("attachments", "附件", "Attachments"),
    ("contents", "目录", "Contents"),
    ("application_no", "申请号", "Application no."),
    ("publication_no", "公开（公告）号", "Publication no."),
    ("filing_date", "申请日", "Filing date"),
    ("grant_date", "授权日", "Grant date"),
    ("assignee", "专利权人", "Assignee"),
    ("ipc", "IPC 分类号", "IPC"),
    ("method_code", "工法编号", "Method code"),
    ("scope", "适用范围", "Scope"),
    ("solved_by", "解决方案", "Solved by"),
    ("solved_date", "解决日期", "Solved on"),
    ("visibility", "可见范围", "Visibility"),
    ("not_found", "页面不存在", "Page not found"),
    (
        "not_found_text",
        "找不到这个页面：记录可能已被删除、改名，或您没有查看权限。",
        "This page does not exist: the record may have been removed or renamed, or you may not have access.",
    ),
    ("back_home", "返回首页", "Back to search"),
    ("error", "出错了", "Something went wrong"),
    ("exhibit_items", "展项", "Items"),
    ("print", "打印版", "Print layout"),
    ("records_count", "条记录", "records"),
    ("view_all", "查看全部", "View all"),
    ("contact_studio", "联系工作室", "Contact the studio"),
    ("browse_by", "按类型浏览", "Browse by kind"),
    ("publish", "发布成果", "Publish"),
    (
        "upload",
        "上传附件（图片或 PDF，最大 10 MB）",
        "Attach a file (image or PDF, up to 10 MB)",
    ),
    ("upload_button", "上传", "Upload"),
    ("review", "审核", "Review"),
    ("my_submissions", "我的提交", "My submissions"),
    ("login", "登录", "Sign in"),
    ("logout", "退出", "Sign out"),
    ("username", "用户名", "User name"),
    ("password", "密码", "Password"),
    (
        "login_hint",
        "还没有账号或忘记密码？请联系本工作室的负责人，或联盟工会的工作人员为您开通、重置。",
        "No account yet, or forgot your password? Ask your studio's leader or the alliance's union staff to set one up or reset it.",
    ),
    ("edit", "修改", "Edit"),
    (
        "fix_errors",
        "有字段需要修改，请查看下方红色提示。",
        "Some fields need fixing: see the messages below.",
    ),
    ("kind", "类型", "Kind"),
    ("title", "成果名称", "Title"),
    ("slug", "记录编号（网址的一部分）", "Record id (part of its URL)"),
    ("body", "正文", "Body"),
    ("preview_check", "预览并查重", "Preview and check"),
    ("submit", "提交", "Submit"),
    (
        "novelty",
        "首创预检：相似的已有记录",
        "Novelty check: similar existing records",
    ),
    (
        "novelty_hint",
        "填写名称和正文后，这里会列出最相似的已有记录及相似度。",
        "Once title and body are filled in, the most similar existing records appear here.",
    ),
    ("preview", "预览", "Preview"),
    ("queue_empty", "没有待审核的提交。", "No submissions waiting."),
    (
        "change_of_published",
        "对已发布记录的修改",
        "Change to a published record",
    ),
    ("review_comment", "审核意见", "Reviewer's comment"),
    (
        "pending_files",
        "待审核附件（批准后发布）",
        "Attachments awaiting approval",
    ),
    ("approve", "通过并发布", "Approve and publish"),
    ("send_back", "退回修改", "Return for changes"),
    ("diff", "修改对比", "Changes"),
    ("new_record", "新记录", "New record"),
    ("history", "版本历史", "History"),
    (
        "no_history",
        "这条记录还没有通过网站保存过的版本（直接编辑文件的修改不在此列）。",
        "No versions saved through the site yet (direct file edits are not listed).",
    ),
    (
        "pending_banner",
        "这条记录正在等待工会审核，目前只有本工作室和工会工作人员可见。",
        "This record awaits review: only its studio and union staff can see it.",
    ),
    (
        "returned_banner",
        "这条记录被退回修改",
        "This record was returned for changes",
    ),
    (
        "board_title",
        "劳模帮帮团 · 难题榜",
        "Model-worker help team · Problem board",
    ),
    (
        "board_lede",
        "一家有难题，大家来帮忙：各工作室提出的攻关难题，谁在牵头、谁来协作、何时到期。",
        "One studio's problem is everyone's: the problems the studios have raised, who leads, who helps and when each is due.",
    ),
    ("board_help_team", "劳模帮帮团", "Model-worker help team"),
    ("board_view", "查看难题榜", "See the problem board"),
    ("board_alliance", "联盟", "Alliance"),
    ("board_all_alliances", "全部联盟", "All alliances"),
    ("board_state", "状态", "State"),
    ("board_unsolved_default", "未解决（默认）", "Unsolved (default)"),
    ("board_all_states", "全部状态", "All states"),
    ("board_priority", "优先级", "Priority"),
    ("board_all", "全部", "All"),
    ("board_studio", "工作室", "Studio"),
    ("board_all_studios", "全部工作室", "All studios"),
    ("board_overdue_only", "只看已逾期", "Overdue only"),
    ("board_filter", "筛选", "Filter"),
    ("board_print_link", "打印过堂清单（A4）", "Print the meeting list (A4)"),
    ("board_by_alliance", "按联盟：", "By alliance: "),
    ("board_empty", "没有符合条件的难题。", "No problems match."),
    ("board_priority_colon", "优先级：", "Priority: "),
    ("board_overdue", "已逾期", "Overdue"),
    ("board_overdue_paren", "（已逾期）", " (overdue)"),
    ("board_raised_by", "提出", "Raised by"),
    ("board_posted", "发布", "Posted"),
    ("board_due", "期限", "Due"),
    ("board_lead", "牵头", "Lead"),
    ("board_not_set", "尚未指定", "Not chosen yet"),
    ("board_helpers", "协作", "Helpers"),
    ("board_none_yet", "暂无", "None yet"),
    ("board_offer_pending", "（待接受）", " (offer pending)"),
    ("board_colon", "：", ": "),
    ("board_list_sep", "、", ", "),
    ("board_suggested", "可能可用的已有成果", "Existing work that may help"),
    ("board_shared_words", "共有词：", "Words in common: "),
    (
        "board_help_label",
        "我们来帮忙：能提供什么",
        "We can help: what we offer",
    ),
    (
        "board_help_placeholder",
        "人员、设备、经验或成果",
        "People, equipment, experience or results",
    ),
    ("board_offer_help", "提出协助", "Offer help"),
    ("board_lead_studio", "牵头工作室", "Lead studio"),
    ("board_set_lead", "指定牵头", "Set the lead"),
    ("board_state_to", "状态改为", "New state"),
    ("board_change_state", "更改状态", "Change the state"),
    (
        "board_solved_by",
        "解决方案（记录编号，逗号分隔）",
        "Solved by (record ids, comma-separated)",
    ),
    ("board_solved_date", "解决日期", "Solved on"),
    ("board_mark_solved", "标记为已解决", "Mark solved"),
    ("board_solves", "解决了难题：", "Solves the problem: "),
    (
        "board_done_help",
        "已提出协助，等待难题所在工作室接受",
        "Help offered: waiting for the problem's studio to accept it",
    ),
    ("board_done_accept", "已接受协助", "Help accepted"),
    ("board_done_lead", "已指定牵头工作室", "Lead studio set"),
    ("board_done_state", "状态已更新", "State changed"),
    ("board_done_solve", "已标记为已解决", "Marked solved"),
    ("board_unsolved", "未解决", "Unsolved"),
    ("board_print_title", "难题过堂清单", "Problem meeting list"),
    ("board_back", "← 返回难题榜", "← Back to the problem board"),
    (
        "board_print_hint",
        "用浏览器的“打印”输出或存为 PDF（A4 横向）。",
        "Print it or save it as PDF with the browser's Print (A4 landscape).",
    ),
    (
        "board_print_heading",
        "联盟例会 · 难题逐项过堂清单",
        "Alliance meeting · problems, item by item",
    ),
    ("board_printed_on", "打印日期", "Printed"),
    ("board_col_n", "序号", "No."),
    ("board_col_problem", "难题", "Problem"),
    ("board_col_raised", "提出工作室 / 联盟", "Raised by / alliance"),
    ("board_col_age", "已发布", "Open for"),
    ("board_col_notes", "过堂意见", "Meeting notes"),
    ("request_list", "对接申请", "Adoption requests"),
    ("request_ask", "申请对接", "Request to adopt"),
    (
        "request_hint_staff",
        "各工作室收到的应用推广、成果对接申请。",
        "Requests the studios received to share or apply their work.",
    ),
    (
        "request_hint_manages",
        "本工作室成果收到的对接申请，以及您提交的申请。",
        "Requests for your studio's work, and the requests you made.",
    ),
    (
        "request_hint_mine",
        "您提交的对接申请及其处理情况。",
        "The requests you made and where they stand.",
    ),
    ("request_all", "全部", "All"),
    ("request_none", "没有对接申请", "No adoption requests"),
    ("request_requester", "申请人", "Requested by"),
    ("request_unit", "申请单位", "Requesting unit"),
    ("request_contact", "联系方式", "Contact"),
    ("request_purpose", "用途", "Purpose"),
    ("request_adoption", "应用推广", "Adoption"),
    ("request_under_review", "已提交审核", "submitted for review"),
    ("request_colon", "：", ": "),
    ("request_note", "备注", "Note"),
    (
        "request_adoption_legend",
        "已应用时写入成果的应用推广（可选，提交审核）",
        "When adopted, add it to the record's applications (optional, goes to review)",
    ),
    ("request_project", "应用项目", "Project"),
    ("request_project_example", "成都地铁9号线", "Chengdu Metro Line 9"),
    ("request_year", "年份", "Year"),
    ("request_applied_note", "说明", "Details"),
    (
        "request_done_created",
        "申请已提交，工作室会通过您留下的联系方式与您联系",
        "Request sent: the studio will get in touch through the contact you gave",
    ),
    ("request_done_state", "申请状态已更新", "Request state changed"),
    (
        "request_done_adopted",
        "申请已标记为已应用，应用推广记录已作为修改提交审核",
        "Request marked adopted: the adoption was added to the record as a change for review",
    ),
    ("request_form_to", "向 ", "Ask "),
    (
        "request_form_ask",
        " 申请分享或应用成果：",
        " to share their work with you or let you apply it: ",
    ),
    (
        "request_form_error",
        "申请未提交：请修改标出的内容。",
        "The request was not sent: please correct the marked fields.",
    ),
    (
        "request_contact_label",
        "联系方式（姓名、电话或邮箱）",
        "Contact (name, phone or e-mail)",
    ),
    (
        "request_purpose_label",
        "用途说明（用于哪个项目、希望工作室提供什么）",
        "Purpose (which project, and what you would like from the studio)",
    ),
    ("request_submit", "提交申请", "Send the request"),
    (
        "request_form_hint",
        "申请只有该成果所属工作室的发布员和工会工作人员可以看到；处理进度可在 ",
        "Only the publishers of the record's studio and union staff see the request; follow it under ",
    ),
    ("request_form_hint_end", " 中查看。", "."),
];

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Tr { lang }
    }

    pub fn t(&self, key: &str) -> &'static str {
        TEXTS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, zh, en)| if self.lang == Lang::En { *en } else { *zh })
            .unwrap_or("")
    }

    pub fn html_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// The name of a facet (filter) field.
    pub fn facet_name(&self, field: FacetField) -> &'static str {
        let (zh, en) = match field {
            FacetField::Kind => ("类型", "Kind"),
            FacetField::Category => ("成果类别", "Category"),
            FacetField::Studio => ("工作室", "Studio"),
            FacetField::Alliance => ("联盟", "Alliance"),
            FacetField::Year => ("年份", "Year"),
            FacetField::Tag => ("关键词", "Tag"),
            FacetField::AwardLevel => ("获奖级别", "Award level"),
            FacetField::PatentType => ("专利类型", "Patent type"),
            FacetField::Status => ("状态", "Status"),
            FacetField::Level => ("工法等级", "Method level"),
            FacetField::Visibility => ("可见范围", "Visibility"),
            FacetField::Review => ("审核状态", "Review"),
            FacetField::AdoptionYear => ("应用年份", "Adoption year"),
        };
        if self.lang == Lang::En { en } else { zh }
    }

    /// The label of an enum value of the content format; unknown values
    /// (ids, years, tags) are shown as they are.
    pub fn label<'a>(&self, field: &str, value: &'a str) -> std::borrow::Cow<'a, str> {
        let en = self.lang == Lang::En;
        if let Some(label) = crate::content::spec::choice_label(field, value, en) {
            return label.into();
        }
        let found = LABELS.iter().find(|(f, v, _, _)| *f == field && *v == value);
        match found {
            Some((_, _, zh, en_label)) => (if en { *en_label } else { *zh }).into(),
            None => value.into(),
        }
    }

    pub fn notice(&self, notice: &Notice) -> String {
        let en = self.lang == Lang::En;
        match notice {
            Notice::Truncated => if en {
                "The query was long: only its first 200 characters were searched."
            } else {
                "查询过长，只搜索了前 200 个字符。"
            }
            .into(),
            Notice::UnclosedQuote => if en {
                "A quote was not closed: the rest was searched as a phrase."
            } else {
                "引号未闭合，已将其后的内容作为短语搜索。"
            }
            .into(),
            Notice::TooManyWords => if en {
                "Too many words: only the first 32 were used."
            } else {
                "词语过多，只使用了前 32 个。"
            }
            .into(),
            Notice::OperatorIgnored(op) => {
                if en {
                    format!(
                        "“{op}”: wildcards and operators other than quotes, -, OR and field:value are not supported and were ignored."
                    )
                } else {
                    format!("“{op}”：不支持通配符等运算符（支持引号短语、-排除、OR、字段:值），已忽略。")
                }
            }
            Notice::UnknownField(f) => {
                if en {
                    format!(
                        "“{f}:” is not a field; it was searched as text. Fields: kind, category, studio, alliance, year, tag, level, status."
                    )
                } else {
                    format!(
                        "“{f}:”不是可用的字段，已按普通文字搜索。可用字段：kind、category、studio、alliance、year、tag、level、status。"
                    )
                }
            }
            Notice::Brackets => if en {
                "Brackets do not group words and were ignored: every word must appear, OR joins the two words beside it."
            } else {
                "括号不能用来分组，已忽略：所有词都须出现，OR 只连接它两边的词。"
            }
            .into(),
            Notice::AndImplied => if en {
                "“AND” is not needed (every word must appear anyway) and was ignored."
            } else {
                "“AND”不必输入（所有词默认都须出现），已忽略。"
            }
            .into(),
            Notice::Relaxed => if en {
                "No record holds these characters side by side (or this code as typed): showing records that hold them apart."
            } else {
                "没有记录包含紧挨在一起的这些字（或按输入写法的编号），以下结果中这些字不相邻、只是分别出现。"
            }
            .into(),
            Notice::MostWords { required, of, missing } => {
                let missing = missing.join(if en { ", " } else { "、" });
                match (en, missing.is_empty()) {
                    (true, true) => format!(
                        "No record holds all {of} words: showing records that hold at least {required} of them, those holding more first."
                    ),
                    (true, false) => format!(
                        "No record holds all {of} words: showing records that hold at least {required} of them, those holding more first. The first one lacks: {missing}."
                    ),
                    (false, true) => {
                        format!("没有记录同时包含全部 {of} 个词，以下是至少包含其中 {required} 个的记录，包含越多越靠前。")
                    }
                    (false, false) => format!(
                        "没有记录同时包含全部 {of} 个词，以下是至少包含其中 {required} 个的记录，包含越多越靠前；排在第一的记录未包含：{missing}。"
                    ),
                }
            }
            Notice::NothingSearchable => if en {
                "The query holds no searchable words (only symbols); showing all records."
            } else {
                "查询中没有可搜索的文字（只有符号），已显示全部记录。"
            }
            .into(),
        }
    }
}

/// Labels of values that are not fields of the content format (those are
/// in `content::spec`).
const LABELS: &[(&str, &str, &str, &str)] = &[
    ("action", "create", "新建", "Created"),
    ("action", "update", "修改", "Updated"),
    ("action", "submit", "提交审核", "Submitted"),
    ("action", "approve", "审核通过", "Approved"),
    ("action", "return", "退回", "Returned"),
    ("action", "delete", "删除", "Deleted"),
    ("action", "attach", "上传附件", "Attached a file"),
    ("action", "help", "提出协助", "Offered help"),
    ("action", "accept_helper", "接受协助", "Accepted a helper"),
    ("action", "set_lead", "指定牵头", "Set the lead"),
    ("action", "state", "更改状态", "Changed the state"),
    ("action", "solve", "标记为已解决", "Marked solved"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        for (key, zh, en) in TEXTS {
            assert!(!zh.is_empty() && !en.is_empty(), "{key}");
        }
        assert_eq!(Tr::new(Lang::En).t("search"), "Search");
        assert_eq!(Tr::new(Lang::Zh).label("kind", "method"), "工法");
        assert_eq!(Tr::new(Lang::Zh).label("tag", "盾构"), "盾构");
    }
}
