//! 帮助中心 content: questions and answers by the CA's four categories.
#![forbid(unsafe_code)]

use kiosk_domain::lang::Lang;

/// The FAQ categories of the CA's help centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaqCategory {
    /// 证书类
    Certificate,
    /// 驱动类
    Driver,
    /// 控件类
    Control,
    /// 其他
    Other,
}

impl FaqCategory {
    pub const ALL: [FaqCategory; 4] = [Self::Certificate, Self::Driver, Self::Control, Self::Other];

    /// The category at a tab index (0..4); `None` beyond.
    #[must_use]
    pub fn from_index(i: i32) -> Option<Self> {
        usize::try_from(i)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }
}

type Qa = (&'static str, &'static str, &'static str, &'static str);

const CERTIFICATE: &[Qa] = &[
    (
        "证书什么时候可以更新？",
        "到期前30天起至到期后一年内可以在本机更新。超过期限需要到柜台重新申请。",
        "When can I renew?",
        "From 30 days before expiry until one year after it. After that, please apply again at the counter.",
    ),
    (
        "更新后原证书还能用吗？",
        "新证书安装成功后原证书停用。安装成功前原证书一直可用。",
        "Does the old certificate still work?",
        "It works until the new one is installed, then it is retired.",
    ),
];
const DRIVER: &[Qa] = &[(
    "插入USB Key后提示“未检测到”怎么办？",
    "请拔出后重新插入，等待指示灯亮起再点击“重新检测”。仍不行请呼叫工作人员。",
    "The kiosk does not find my USB Key",
    "Take it out, insert it again, wait for its light, then press “Check again”. If that fails, please call staff.",
)];
const CONTROL: &[Qa] = &[(
    "本机需要安装控件吗？",
    "不需要。本机已装好全部控件和驱动；在自己电脑上使用证书时，请到山西CA网上服务大厅下载。",
    "Do I need to install any software here?",
    "No. Everything is installed on this kiosk. For your own computer, download the drivers from the CA's online service hall.",
)];
const OTHER: &[Qa] = &[
    (
        "发票什么时候开出？",
        "缴费并安装证书后3个工作日内开出电子发票，发送到您填写的邮箱。",
        "When do I get the invoice?",
        "Within 3 working days after payment and install, sent to the e-mail you gave.",
    ),
    (
        "忘记PIN码怎么办？",
        "请不要反复尝试，输错多次会锁定USB Key。请带营业执照到柜台办理解锁。",
        "I forgot my PIN",
        "Please do not keep guessing: too many wrong PINs lock the key. Bring your business licence to the counter.",
    ),
];

/// The questions and answers of a category, in `lang`.
#[must_use]
pub fn faqs(category: FaqCategory, lang: Lang) -> Vec<(String, String)> {
    let list = match category {
        FaqCategory::Certificate => CERTIFICATE,
        FaqCategory::Driver => DRIVER,
        FaqCategory::Control => CONTROL,
        FaqCategory::Other => OTHER,
    };
    list.iter()
        .map(|(zq, za, eq, ea)| match lang {
            Lang::ZhCn => ((*zq).to_owned(), (*za).to_owned()),
            Lang::En => ((*eq).to_owned(), (*ea).to_owned()),
        })
        .collect()
}
