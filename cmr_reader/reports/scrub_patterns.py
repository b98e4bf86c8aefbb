"""The generic patterns of report scrubbing: what identifies in any report, English or Chinese.

Dates in every form real RIS text uses (against Chinese text, in Chinese numerals, "12-Mar-2023",
"05.03.22", ISO with a time), long numbers (ID cards, record and examination numbers), phone
numbers with and without labels, e-mail and street addresses, signatures, and the values after
labels that name a person or a record (姓名/患者, 住院号/门诊号/检查号, "Patient name", "MRN").

Clinical values ("LVEF 55%", "22 mm", "AHA segment 3", "BP 120/80", "8.5%") match none of them:
a numeric pattern needs a year, a month name, a date's three parts, a phone's shape, six or more
digits, or a label.
"""

import re

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
# Latin letters and digits only: a Chinese character before a date or number is no boundary
# ("于2024年3月5日", "身份证110105...").
_BEFORE = r"(?<![A-Za-z0-9.])"
_AFTER = r"(?![A-Za-z0-9])"
_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_YEAR = r"(?:19|20)\d{2}"
_MM = r"(?:0?[1-9]|1[0-2])"
_DD = r"(?:0?[1-9]|[12]\d|3[01])"
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_CN_DIGIT = "〇零一二三四五六七八九"

_DATE_PATTERNS = [
    rf"{_YEAR}\s*年\s*\d{{1,2}}\s*月(?:\s*\d{{1,2}}\s*[日号])?",  # 2024年3月15日, 2024年3月
    rf"[{_CN_DIGIT}]{{4}}\s*年\s*[{_CN_DIGIT}十]{{1,3}}\s*月(?:\s*[{_CN_DIGIT}十]{{1,3}}\s*[日号])?",  # 二〇二四年三月五日
    r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]",  # 3月5日
    rf"{_YEAR}[-/.]{_MM}[-/.]{_DD}{_TIME}",  # 2024-03-15, 2024/3/15, 2024.03.15, ISO with a time
    rf"{_DD}[-/.]{_MM}[-/.]{_YEAR}",  # 15/03/2024, 15.03.2024, 15-03-2024
    rf"{_MM}[-/.]{_DD}[-/.]{_YEAR}",  # 03/15/2024 (US order)
    rf"{_DD}[./]{_MM}[./]\d{{2}}",  # 05.03.22, 5/3/22
    rf"{_YEAR}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])",  # 20240315, the DICOM DA form
    rf"{_DD}[- ](?:{_MONTHS})\.?[- ,]+(?:{_YEAR}|\d{{2}})",  # 12-Mar-2023, 12 Mar 23
    rf"{_DD}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+{_YEAR}",  # 15 March 2024
    rf"(?:{_MONTHS})\.?\s+{_DD}(?:st|nd|rd|th)?,?\s+{_YEAR}",  # March 15, 2024
    rf"(?:{_MONTHS})\.?\s+{_YEAR}",  # March 2024
]
# Only a digit may not follow: Chinese text runs straight on into Latin ("对比2024年3月5日MRI").
DATES = re.compile(_BEFORE + "(?:" + "|".join(_DATE_PATTERNS) + ")" + r"(?![0-9])", re.IGNORECASE)

PHONES = re.compile(
    r"(?<![A-Za-z0-9+.])(?:"
    r"\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,8}){1,4}"  # +49-123-4567890
    r"|\(\d{2,5}\)\s?\d{3,4}[\s.-]?\d{3,5}"  # (010) 1234 5678
    r"|1[3-9]\d(?:[\s-]?\d{4}){2}"  # Chinese mobile, 13812345678, 138 1234 5678
    r"|0\d{2,3}[\s-]\d{3,4}[\s-]?\d{4}"  # 010-1234 5678, 021 4190 8452
    r"|\d{3}[.-]\d{3}[.-]\d{4}"  # 555-123-4567, 555.123.4567
    r"|\d{2,4}-\d{3,4}-\d{3,5}"  # 010-1234-5678
    r"|0\d{2,3}-\d{7,8}"  # 010-12345678
    r")" + _AFTER
)
# A labelled number is a phone number whatever its shape.
LABELLED_PHONES = re.compile(
    r"(?:\b(?:tel|phone|telephone|mobile|cell|fax|pager|ext|contact)\.?|电话|手机|联系方式|联系电话|家属电话)"
    r"\s*[:：#]?\s*[\d+()][\d\s().-]{4,}\d",
    re.IGNORECASE,
)
EMAILS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# A token with six or more digits in a row: ID card, record, examination and accession numbers
# ("110105194912310021", "ZY1234567", "MR-887534778", "ACC20240305"); no clinical value has them.
LONG_NUMBERS = re.compile(r"(?<![A-Za-z0-9.])[A-Za-z]{0,5}[-_]?\d{6,}[A-Za-z0-9]*(?![A-Za-z0-9])")

_STREET_TYPES = "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Terrace|Close|Crescent|Square|Sq"
ADDRESSES = re.compile(
    rf"\b\d{{1,5}}[A-Z]?\s+(?:[A-Z][a-z'’]+\s+){{1,3}}(?:{_STREET_TYPES})\b\.?(?:,\s*[A-Z][a-z]+)?"
    rf"|[{_HAN}]{{2,14}}(?:路|街|大道|道|巷|弄|胡同|村|小区)\s*\d+\s*[号弄](?:\s*\d+\s*(?:号楼|栋|幢|单元|室|楼|号))*"
)
LABELLED_ADDRESSES = re.compile(
    r"(?:家庭住址|现住址|住址|地址)\s*[:：]\s*[^\s，,。；;]+|\baddress\s*[:：][^\n;]*", re.IGNORECASE
)

# Two to four characters, or two written apart ("李 娜"); fields on one line are separated by spaces.
_HAN_NAME = rf"[{_HAN}]{{2,4}}|[{_HAN}][ \u3000][{_HAN}](?![{_HAN}])"
# A signature runs from its label to the end of its line: what follows "Reported by" is a name,
# credentials and a time, all of it identifying.
ENGLISH_SIGNATURES = re.compile(
    r"\b(?:(?:electronically\s+)?(?:signed|reported|dictated|transcribed|verified|approved|reviewed|"
    r"authori[sz]ed|read)\s+(?:and\s+\w+\s+)?by|signed\s*[:：]|attending(?:\s+radiologist)?\s*:|radiologist\s*:|"
    r"reporting\s+radiologist\s*:|signature\s*:)[^\n]*",
    re.IGNORECASE,
)
# Chinese names are written without spaces: the signature ends at whitespace or punctuation.
_SIGNATURE_LABELS = (
    "报告医生|报告医师|审核医师|审核医生|诊断医师|诊断医生|复核医师|书写医师|签发医师|主治医师|"
    "审核者|审核人|审核|签字|签名|记录者|记录人|记录|医师|医生|报告者|报告人"
)
CHINESE_SIGNATURES = re.compile(
    r"(?:报告|审核|诊断|复核|签发|书写|记录|主治|审签)(?:医师|医生|者|人)(?:签名)?\s*[:：]?\s*[^\s。；;，,、\n]*"
    r"|(?:医师|医生)?签名\s*[:：]?\s*[^\s。；;，,、\n]*"
    rf"|(?:{_SIGNATURE_LABELS})\s*[:：]\s*(?:{_HAN_NAME}|[{_HAN}])"
)
SIGNATURES = (ENGLISH_SIGNATURES, CHINESE_SIGNATURES)
DOCTOR_NAMES = re.compile(
    r"\b(?:Dr|Prof|Doctor|Professor)\.?\s+(?:[A-Z]\.\s*)*[A-Z][\w'’-]+(?:\s+(?:[A-Z]\.\s*)*[A-Z][\w'’-]+)?"
)

# Labels whose value names the patient, a relative or a member of staff, and the value's shape.
_LATIN_WORD = r"[A-Z][A-Za-z'’-]*"
_LATIN_NAME = rf"{_LATIN_WORD}(?:(?:\^|,\s*|\s){_LATIN_WORD}){{0,3}}"
LABELLED_HAN_NAMES = re.compile(
    rf"(?:姓名|患者姓名|病人姓名|受检者|患者|病人|家属|联系人|(?:{_SIGNATURE_LABELS}))\s*[:：]\s*({_HAN_NAME})"
    rf"|姓名\s*({_HAN_NAME})"
)
# The label in any case, the name capitalised ("Name: not recorded" names nobody).
LABELLED_LATIN_NAMES = re.compile(
    rf"\b(?i:patient(?:'s)?\s+name|name|patient|signed|referr(?:ed|ing)\s+by|referrer)\s*[:：]\s*({_LATIN_NAME})"
)
# Field labels that a name written without a space before the next field runs into ("张伟性别：男").
FIELD_LABELS = re.compile(
    r"(?:性别|年龄|住院|门诊|检查|记录|审核|签字|医师|医生|电话|科室|床号|病区|日期|登记|影像|身份)$"
)
# Words that follow such a label without being a name.
NOT_NAMES = frozenset(
    "male female man woman boy girl unknown anonymous patient adult child mr mrs ms miss dr prof md "
    "hospital mrn dob id age sex tel address accession exam date none n/a na 男 女 男性 女性 不详 未知".split()
)
LABELLED_NUMBERS = re.compile(
    r"(?:住院号|门诊号|检查号|登记号|影像号|病案号|病历号|就诊号|ID号|卡号|医保号|身份证号码|身份证号|身份证|床号|检查编号)"
    r"\s*[:：]?\s*([A-Za-z0-9][A-Za-z0-9-]{2,})"
    r"|\b(?:MRN|medical\s+record\s+(?:number|no\.?)|hospital\s+(?:number|no\.?)|patient\s+id|PID|"
    r"accession(?:\s+(?:number|no\.?))?|acc(?:ession)?\s*#|NHS\s+(?:number|no\.?)|exam(?:ination)?\s+(?:number|no\.?)|"
    r"study\s+id|record\s+(?:number|no\.?))\s*[:#.]?\s*([A-Za-z0-9][A-Za-z0-9-]{2,})",
    re.IGNORECASE,
)
