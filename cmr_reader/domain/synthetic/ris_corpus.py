"""A corpus of realistic RIS report texts, English and Chinese, with planted identifiers.

Each report is what a real RIS export holds: a header with the patient's name and numbers, a
clinical history, findings and an impression with measurements the entity extractor reads, a
comparison with an earlier examination, and a signature block, with identifiers written in the
forms real reports use (dates beside Chinese text, in Chinese numerals, "12-Mar-2023", ISO with a
time; ID card numbers; 住院号/门诊号/检查号 values; phone numbers with and without labels; e-mail and
street addresses; signatures after 审核/医师/签字 and "Signed:"; names after 姓名/患者 and "Patient
name"). Some reports come with the optional ``patient_name`` / ``patient_id`` columns, in another
form than the text uses (pinyin against Han characters, family-given order, spaced characters).

``planted`` lists every identifier string that must not survive scrubbing and ``clinical`` the
clinical values that must. Standard library only; the same seed gives the same corpus, and the
scrubber's test (tests/reports_tests/test_scrub_corpus.py) and bench (bench/bench_scrub.py) use it.
"""

import random
from dataclasses import dataclass

# (Han name, family pinyin, given pinyin)
CHINESE_NAMES = (
    ("张伟", "ZHANG", "WEI"),
    ("李娜", "LI", "NA"),
    ("王芳", "WANG", "FANG"),
    ("刘洋", "LIU", "YANG"),
    ("陈静", "CHEN", "JING"),
    ("赵敏", "ZHAO", "MIN"),
    ("孙丽", "SUN", "LI"),
    ("周杰", "ZHOU", "JIE"),
    ("吴磊", "WU", "LEI"),
    ("郑强", "ZHENG", "QIANG"),
    ("黄晓明", "HUANG", "XIAOMING"),
    ("欧阳娜娜", "OUYANG", "NANA"),
)
ENGLISH_NAMES = (
    ("John", "Smith"),
    ("Mary", "O'Neil"),
    ("Alice", "Brown"),
    ("David", "Okafor"),
    ("Sarah", "Nguyen"),
    ("Peter", "Kowalski"),
    ("Emma", "Fitzgerald"),
    ("James", "McAllister"),
    ("Laura", "Bianchi"),
    ("Tom", "Hughes"),
)
STAFF_CHINESE = ("李建国", "王强", "陈静", "赵敏", "孙丽", "周杰", "郭小燕", "马超")
STAFF_ENGLISH = (
    ("J.", "Smith"),
    ("Alice", "Brown"),
    ("Robert", "Chen"),
    ("Helen", "Park"),
    ("Mark", "Evans"),
)
CHINESE_DIGITS = "〇一二三四五六七八九"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
STREETS_EN = (
    "Baker Street",
    "Station Road",
    "Pennsylvania Avenue",
    "Church Lane",
    "Harbour Drive",
    "Queen's Road",
)
CITIES_ZH = (
    "北京市朝阳区建国路",
    "上海市徐汇区漕溪北路",
    "广州市越秀区中山二路",
    "成都市武侯区人民南路",
    "杭州市西湖区文三路",
)
HOSPITAL_DOMAINS = ("hospital.cn", "nhs.net", "pumch.cn", "example-hospital.org")


@dataclass(frozen=True)
class CorpusReport:
    language: str  # "en" or "zh"
    text: str
    identifiers: tuple[str, ...]  # the optional columns' values given with the row (may be empty)
    planted: tuple[str, ...]  # identifier strings that must not survive scrubbing
    clinical: tuple[str, ...]  # clinical values that must survive


def ris_corpus(*, count: int = 120, seed: int = 2026) -> list[CorpusReport]:
    """``count`` reports, alternately English and Chinese."""
    rng = random.Random(seed)
    return [(_english if n % 2 == 0 else _chinese)(rng) for n in range(count)]


@dataclass(frozen=True)
class _Clinical:
    edv: int
    ef: int
    thickness: int
    segment: int
    lge: int


def _clinical(rng: random.Random) -> _Clinical:
    return _Clinical(
        edv=rng.randint(110, 240),
        ef=rng.randint(35, 72),
        thickness=rng.randint(13, 32),
        segment=rng.choice((2, 3, 8, 9)),
        lge=rng.randint(2, 15),
    )


# Dates -----------------------------------------------------------------------------------------


def _date(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)


def _english_date(rng: random.Random) -> str:
    year, month, day = _date(rng)
    return rng.choice(
        (
            f"{day:02d}-{MONTHS[month - 1]}-{year}",
            f"{day:02d}.{month:02d}.{year % 100:02d}",
            f"{year}-{month:02d}-{day:02d}T{rng.randint(7, 19):02d}:{rng.randint(0, 59):02d}:00",
            f"{year}-{month:02d}-{day:02d} {rng.randint(7, 19):02d}:{rng.randint(0, 59):02d}",
            f"{MONTH_NAMES[month - 1]} {day}, {year}",
            f"{day} {MONTH_NAMES[month - 1]} {year}",
            f"{month:02d}/{day:02d}/{year}",
            f"{day}/{month}/{year % 100:02d}",
        )
    )


def _chinese_numeral(number: int) -> str:
    if number < 10:
        return CHINESE_DIGITS[number]
    tens, ones = divmod(number, 10)
    return ("" if tens == 1 else CHINESE_DIGITS[tens]) + "十" + (CHINESE_DIGITS[ones] if ones else "")


def _chinese_date(rng: random.Random) -> str:
    year, month, day = _date(rng)
    return rng.choice(
        (
            f"{year}年{month}月{day}日",
            "".join(CHINESE_DIGITS[int(d)] for d in str(year))
            + f"年{_chinese_numeral(month)}月{_chinese_numeral(day)}日",
            f"{month}月{day}日",
            f"{year}.{month:02d}.{day:02d}",
            f"{year}/{month}/{day}",
            f"{year}-{month:02d}-{day:02d} {rng.randint(7, 19):02d}:{rng.randint(0, 59):02d}",
        )
    )


# Numbers ----------------------------------------------------------------------------------------


def _digits(rng: random.Random, count: int) -> str:
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(count - 1))


def _id_card(rng: random.Random) -> str:
    year, month, day = _date(rng)
    birth = f"{rng.randint(1940, 2005)}{month:02d}{day:02d}"
    return f"{rng.choice(('110105', '310104', '440104', '510107'))}{birth}{_digits(rng, 3)}{rng.choice('0123456789X')}"


def _mobile(rng: random.Random) -> str:
    number = "1" + rng.choice("3456789") + _digits(rng, 9)
    return rng.choice(
        (
            number,
            f"{number[:3]} {number[3:7]} {number[7:]}",
            f"{number[:3]}-{number[3:7]}-{number[7:]}",
            f"+86 {number}",
        )
    )


def _landline(rng: random.Random) -> str:
    area = rng.choice(("010", "021", "020", "0571"))
    number = _digits(rng, 8)
    return rng.choice(
        (f"{area}-{number}", f"({area}) {number[:4]} {number[4:]}", f"{area} {number[:4]} {number[4:]}")
    )


def _english_phone(rng: random.Random) -> str:
    a, b, c = _digits(rng, 3), _digits(rng, 3), _digits(rng, 4)
    return rng.choice(
        (
            f"({a}) {b}-{c}",
            f"{a}-{b}-{c}",
            f"{a}.{b}.{c}",
            f"+44 20 {_digits(rng, 4)} {_digits(rng, 4)}",
            f"+1 {a} {b} {c}",
        )
    )


def _email(rng: random.Random, name: str) -> str:
    return f"{name.lower().replace(' ', '.').replace(chr(39), '')}{rng.randint(1, 99)}@{rng.choice(HOSPITAL_DOMAINS)}"


# Reports ----------------------------------------------------------------------------------------


def _english(rng: random.Random) -> CorpusReport:
    given, family = rng.choice(ENGLISH_NAMES)
    staff_given, staff_family = rng.choice(STAFF_ENGLISH)
    clinical = _clinical(rng)
    mrn, accession = _digits(rng, rng.randint(7, 9)), f"ACC{_digits(rng, 8)}"
    exam_date, prior_date, dob = _english_date(rng), _english_date(rng), _english_date(rng)
    phone, email = _english_phone(rng), _email(rng, f"{staff_given} {staff_family}".replace(".", ""))
    address = f"{rng.randint(2, 250)} {rng.choice(STREETS_EN)}"
    name_form = rng.choice((f"{family.upper()}^{given.upper()}", f"{given} {family}", f"{family}, {given}"))
    header = rng.choice(
        (
            f"Patient name: {name_form}\nMRN: {mrn}   DOB: {dob}\nAccession: {accession}",
            f"Name: {name_form}  Hospital No. {mrn}\nExam date: {exam_date}",
            f"Patient: {name_form} (MRN {mrn})\nAddress: {address}\nTel: {phone}",
        )
    )
    signature = rng.choice(
        (
            f"Signed: {staff_given} {staff_family} MD, {exam_date}",
            f"Reported by Dr {staff_given} {staff_family}\nContact {email} or {phone}",
            f"signed: {staff_given} {staff_family}\nVerified {exam_date}",
        )
    )
    comparison = rng.choice(
        (
            f"Compared with the CMR of {prior_date}, the septum is thicker.",
            f"Prior study {prior_date} reviewed.",
            f"Comparison: MRI {prior_date} at {address}.",
        )
    )
    history = rng.choice(
        (
            f"CLINICAL HISTORY: {given} {family}, palpitations; referred by Dr {staff_family}. Call {phone} with results.",
            f"Indication: family history of HCM (mother {family}). Patient contact {email}.",
            f"History: syncope on exertion. Lives at {address}.",
        )
    )
    findings = (
        f"FINDINGS:\nThe left ventricle is not dilated (LVEDV {clinical.edv} mL). LVEF {clinical.ef}%.\n"
        f"Asymmetric septal hypertrophy with maximal wall thickness {clinical.thickness} mm in AHA segment {clinical.segment}.\n"
        f"Patchy mid-wall LGE in the septum, approximately {clinical.lge}% of LV mass. No pericardial effusion.\n"
        f"{comparison}\n\nIMPRESSION: Hypertrophic cardiomyopathy."
    )
    text = f"{header}\n\n{history}\n\n{findings}\n\n{signature}"
    planted = [
        name_form,
        given,
        family,
        mrn,
        accession,
        exam_date,
        prior_date,
        dob,
        phone,
        email,
        address,
        staff_given if len(staff_given.rstrip(".")) > 1 else staff_family,
        staff_family,
    ]
    identifiers = rng.choice(
        ((), (name_form, mrn), (f"{given} {family}",), (f"{family.upper()}^{given.upper()}", accession))
    )
    return CorpusReport(
        language="en",
        text=text,
        identifiers=identifiers,
        planted=tuple(p for p in planted if p in text),
        clinical=(
            f"LVEDV {clinical.edv} mL",
            f"LVEF {clinical.ef}%",
            f"{clinical.thickness} mm",
            f"AHA segment {clinical.segment}",
            f"{clinical.lge}% of LV mass",
        ),
    )


def _chinese(rng: random.Random) -> CorpusReport:
    han, family, given = rng.choice(CHINESE_NAMES)
    staff = rng.sample(STAFF_CHINESE, 2)
    clinical = _clinical(rng)
    inpatient, outpatient, exam_no = (
        f"ZY{_digits(rng, 7)}",
        _digits(rng, rng.randint(8, 10)),
        f"MR{_digits(rng, 9)}",
    )
    exam_date, prior_date = _chinese_date(rng), _chinese_date(rng)
    id_card, mobile, landline = _id_card(rng), _mobile(rng), _landline(rng)
    address = f"{rng.choice(CITIES_ZH)}{rng.randint(1, 300)}号"
    spaced = " ".join(han)
    name_in_text = rng.choice((han, spaced, han))
    label = rng.choice(("住院号", "门诊号", "检查号", "登记号", "影像号"))
    label_value = {
        "住院号": inpatient,
        "门诊号": outpatient,
        "检查号": exam_no,
        "登记号": _digits(rng, 7),
        "影像号": f"IMG{_digits(rng, 6)}",
    }[label]
    header = rng.choice(
        (
            f"姓名：{name_in_text}  性别：男  年龄：45岁\n{label}：{label_value}  身份证号：{id_card}",
            f"患者：{name_in_text}，{label}{label_value}，联系电话{mobile}\n检查日期：{exam_date}",
            f"病人：{name_in_text}  {label}: {label_value}\n住址：{address}  电话：{landline}",
        )
    )
    history = rng.choice(
        (
            f"临床资料：患者于{exam_date}因胸闷就诊，家属{mobile}。",
            f"病史：{name_in_text}，反复心悸。身份证{id_card}。",
            f"临床信息：晕厥待查，住{address}。",
        )
    )
    comparison = rng.choice(
        (
            f"与{prior_date}片比较，室间隔较前增厚。",
            f"对比{prior_date}MRI，延迟强化范围扩大。",
            f"前次检查（{prior_date}，检查号{exam_no}）示室间隔肥厚。",
        )
    )
    findings = (
        f"检查所见：\n左心室不大，左心室舒张末期容积{clinical.edv} mL。左心室射血分数{clinical.ef}%。\n"
        f"室间隔非对称性肥厚，最大室壁厚度{clinical.thickness} mm，位于基底段前间隔。\n"
        f"室间隔可见斑片状延迟强化，约占左心室心肌质量的{clinical.lge}%。心包未见积液。\n{comparison}\n\n"
        "诊断意见：肥厚型心肌病。"
    )
    signature = rng.choice(
        (
            f"报告医生：{staff[0]}  审核：{staff[1]}\n报告时间：{exam_date}",
            f"医师：{staff[0]}  签字：{staff[1]}",
            f"记录：{staff[0]}  审核医师：{staff[1]}  {exam_date}",
        )
    )
    text = f"{header}\n\n{history}\n\n{findings}\n\n{signature}"
    column_name = rng.choice((f"{family}^{given}", f"{family} {given}", han, f"{given} {family}"))
    identifiers = rng.choice(((), (column_name,), (column_name, outpatient)))
    planted = [
        han,
        spaced,
        inpatient,
        outpatient,
        exam_no,
        label_value,
        exam_date,
        prior_date,
        id_card,
        mobile,
        landline,
        address,
        *staff,
    ]
    return CorpusReport(
        language="zh",
        text=text,
        identifiers=identifiers,
        planted=tuple(p for p in dict.fromkeys(planted) if p in text),
        clinical=(f"{clinical.edv} mL", f"{clinical.ef}%", f"{clinical.thickness} mm", f"{clinical.lge}%"),
    )
