"""Chinese patterns, keyed like ``english``; a Chinese report is read with both (it embeds LVEF, SAM, LGE).

Matched against NFKC-normalised text, so full-width brackets, colons and commas are already ASCII.
Chinese has no word boundaries; where a bare character would over-match ("无" in "无创"), a
look-ahead excludes the known compounds.
"""

LV = r"左心?室"
RV = r"右心?室"

PATTERNS: dict[str, str] = {
    # "可能性大" (most likely) affirms; "有无" (whether or not) only asks.
    "uncertain": r"可疑|不除外|不能除外|不能排除|待除外|待排|疑似|似见|可能(?!性大|性较大|大)|怀疑|有无|待定|\?",
    "negation_before": r"未见|未发现|未显示|未探及|未及|没有|不伴|无(?!创|名)|阴性|\(\s*-\s*\)|已除外|已排除|消失|不明显",
    "negation_after": r"未见|未发现|没有|无(?!创|名)|阴性|\(\s*-\s*\)|已除外|已排除|消失|不明显",
    "affirmation": r"\(\s*\+\s*\)|阳性|可能性大",
    "ventricle_lv": LV,
    "ventricle_rv": RV,
    "edv": rf"(?:(?P<v>{LV}|{RV}))?舒张末期?容积(?P<i>指数)?",
    "esv": rf"(?:(?P<v>{LV}|{RV}))?收缩末期?容积(?P<i>指数)?",
    "mass": rf"(?:(?P<v>{LV}))?(?:心肌)?质量(?P<i>指数)?",
    "mass_excluded_before": r"(?:强化|瘢痕|纤维化|lge)\s*$",
    "ef": rf"(?:(?P<v>{LV}|{RV}))?(?:收缩)?射血分数",
    "thickness_cue": r"厚|室间隔|室壁|间隔|肥厚",
    "thickness_excluded": r"积液|心包|心房|房|主动脉|内径|直径|室壁瘤|血栓|淋巴|瓣|层厚|距离|小梁",
    "location_lead": r"^\s*(?:\(|,?\s*位于|,?\s*以)",
    "segment": r"第?\s*(?P<n>\d{1,2})\s*段",
    "loc_apical": r"心尖",
    "loc_septal": r"间隔",
    "loc_lateral": r"侧壁|后壁",
    "loc_inferior": r"下壁",
    "loc_anterior": r"前壁",
    "hyp_asymmetric_septal": r"非对称性?(?:室间隔)?(?:肥厚|增厚)|室间隔[^,。;]{0,8}?(?:肥厚|增厚)",
    "hyp_apical": r"心尖(?:部)?[^,。;]{0,6}?(?:肥厚|增厚)|心尖肥厚|黑桃",
    "hyp_concentric": r"向心性|普遍(?:性)?(?:增厚|肥厚)|均匀(?:性)?(?:增厚|肥厚)|弥漫性?(?:增厚|肥厚)",
    "hyp_mid_ventricular": r"(?:左室|心室)?中[段部](?:室壁)?(?:肥厚|增厚)|左室中部梗阻|室中部梗阻|中部梗阻",
    "hyp_mid_context": r"肥厚|增厚|梗阻",
    "hyp_generic": r"(?:肥厚|增厚)(?![型性]?[^,。;]{0,4}心肌病|型)",
    "hyp_normal": r"室壁(?:厚度)?(?:正常|未见(?:明显)?(?:增厚|肥厚))",
    "sam": r"sam征?|收缩期前向运动|前向运动",
    "lvot": r"(?:左室)?流出道[^,。;]{0,8}?(?:梗阻|狭窄)|(?:左室)?流出道[^。;]{0,12}?,\s*提示梗阻|lvot\s*梗阻",
    "lvot_gradient": r"(?:左室)?流出道[^,。;]{0,6}?压差",
    "aneurysm": r"心尖[^,。;]{0,8}?室壁瘤",
    "lge": r"延迟强化|延迟增强|(?<!首过)(?<!灌注)(?<!早期)强化|纤维化|瘢痕",
    "lge_excluded_after": r"^\s*(?:扫描|序列|成像|技术)",
    "lge_transmural": r"透壁",
    "lge_subendocardial": r"心内膜下",
    "lge_subepicardial": r"心外膜下|心外膜",
    "lge_midwall": r"片状|斑片|肌壁间|心肌中层|中层|壁内",
    "lge_insertion": r"插入点|插入部|结合部",
    "lge_only": r"仅|局限|孤立",
    "lge_diffuse": r"弥漫|广泛",
    "extent_excluded_after": r"^\s*(?:的)?(?:室壁|壁厚|透壁)",
    "effusion": r"心包[^,。;]{0,6}?积液|(?<!胸腔)(?<!胸)积液",
    "effusion_context": r"心包",
    "pericardium_normal": r"心包\s*:?\s*(?:未见(?:明显)?异常|正常)",
    "grade_none": r"生理",
    "grade_small": r"少量|少许|微量|小量",
    "grade_moderate": r"中等量|中量|中等",
    "grade_large": r"大量",
    "dx_hcm": r"肥厚[型性]?[^,。;]{0,6}?心肌病",
    "dx_dcm": r"扩张[型性]心肌病",
    "dx_ischemic": r"缺血性心肌病|缺血性心脏病|心肌梗[死塞]|心梗|冠心病",
    "dx_amyloidosis": r"淀粉样变",
    "dx_myocarditis": r"心肌炎|心肌心包炎|心包心肌炎",
    "dx_other": (
        r"法布雷|结节病|高血压性心脏病|致密化不全|心肌致密化|致心律失常|运动员心脏|糖原贮积|血色病|铁过载"
        r"|限制型心肌病|应激性心肌病"
    ),
    "dx_normal": r"心脏[^,。;]{0,12}?未见(?:明显)?异常(?!强化|信号)",
    "dx_excluded_context": r"家族史|家族|亲属|父亲|母亲|兄|姐|弟|妹",
    "obstructive": r"(?<!非)梗阻[性型]|梗阻性肥厚",
    "non_obstructive": r"非梗阻",
}
