"""Deterministic, realistic reading logs of any size, for the benchmarks.

A paper here looks like the ones in the shipped `entries.json`, only more of
them: titles of 8-20 words (a few with inline math such as `S$^2$-MLP`), 1-12
authors (some with accented, Polish, Vietnamese or Japanese names), years
1990-2025, arXiv ids in the old and new styles, a venue on about 20% of them,
1-5 tags drawn (Zipf-like) from a vocabulary of about 200, and comments of
20-300 characters mixing Japanese and English, some as multi-line Markdown.

The same `seed` and `n` always give the same file, byte for byte.

    python -m benchmarks.generate 100000 log-100k.json [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from paper_tui.model import SCHEMA_VERSION, STATUSES, Paper, base_key, unique_key
from paper_tui.store import META, PAPERS, dumps

DEFAULT_SEED = 20240611

# ---------------------------------------------------------------- vocabularies

_TITLE_OPENERS = [
    "Towards",
    "On the",
    "Rethinking",
    "Revisiting",
    "Understanding",
    "Learning",
    "Scaling",
    "Beyond",
    "Improving",
    "Efficient",
    "A Simple Framework for",
    "When Does",
    "Do",
    "Can",
    "An Empirical Study of",
    "Unifying",
    "Exploring",
    "Deep",
    "Self-Supervised",
    "Probing",
    "Benchmarking",
    "Accelerating",
]
_TITLE_ADJ = [
    "Sparse",
    "Robust",
    "Efficient",
    "Hierarchical",
    "Contrastive",
    "Generative",
    "Multimodal",
    "Scalable",
    "Adaptive",
    "Implicit",
    "Causal",
    "Equivariant",
    "Differentiable",
    "Bayesian",
    "Federated",
    "Continual",
    "Zero-Shot",
    "Few-Shot",
    "Masked",
    "Latent",
    "Neural",
    "Stochastic",
    "Linear",
    "Local",
    "Global",
    "Lightweight",
    "Unsupervised",
    "Semi-Supervised",
    "Adversarial",
    "Provable",
]
_TITLE_NOUNS = [
    "Transformers",
    "Attention",
    "Representations",
    "Networks",
    "Diffusion Models",
    "Language Models",
    "Vision Transformers",
    "Convolutions",
    "Embeddings",
    "Autoencoders",
    "Policies",
    "Graph Neural Networks",
    "Mixture of Experts",
    "Normalization",
    "Optimizers",
    "Priors",
    "Features",
    "Kernels",
    "Tokenizers",
    "Retrieval",
    "Distillation",
    "Pruning",
    "Quantization",
    "Agents",
    "Reward Models",
    "Point Clouds",
    "Video Models",
    "Speech Recognition",
    "Object Detection",
    "Semantic Segmentation",
    "Image Classification",
    "Machine Translation",
    "Protein Folding",
    "Time Series",
    "Recommendation",
    "Neural Radiance Fields",
]
_TITLE_LINKS = ["for", "with", "via", "in", "without", "through", "under", "from", "and", "of"]
_TITLE_TAILS = [
    "at Scale",
    "in the Wild",
    "from Scratch",
    "with Limited Data",
    "Is All You Need",
    "for Free",
    "Revisited",
    "on ImageNet",
    "across Domains",
    "beyond Accuracy",
    "with Theoretical Guarantees",
    "in Low-Resource Settings",
    "for Long Contexts",
]
_TITLE_MATH = ["S$^2$", "L$^2$", "$^3$D", "X$^2$", "ViT$^+$"]
_TITLE_HEAVY_MATH = ["$k$-NN", "$\\ell_1$", "$\\epsilon$-Greedy", "$O(n)$"]

_GIVEN = [
    "Julius",
    "Philipp",
    "Gitta",
    "Tan",
    "Xu",
    "Yunfeng",
    "Mingming",
    "Ping",
    "Hadi",
    "Samuel",
    "Pavel",
    "Polina",
    "Alexander",
    "Andrew",
    "Lucas",
    "Alexey",
    "Ashish",
    "Noam",
    "Niki",
    "Jakob",
    "Llion",
    "Aidan",
    "Lukasz",
    "Illia",
    "Kaiming",
    "Ross",
    "Piotr",
    "Jian",
    "Shaoqing",
    "Ilya",
    "Geoffrey",
    "Yann",
    "Yoshua",
    "Fei-Fei",
    "Andrej",
    "Chelsea",
    "Sergey",
    "Pieter",
    "Oriol",
    "Quoc",
    "Jeff",
    "Jacob",
    "Ming-Wei",
    "Kenton",
    "Kristina",
    "Colin",
    "Katherine",
    "Sharan",
    "Hugo",
    "Matthieu",
    "Armand",
    "Alexandre",
    "Francisco",
    "Priya",
    "Arjun",
    "Wei",
    "Li",
    "Yuki",
    "Haruto",
    "Sakura",
    "Kenji",
    "Takeshi",
    "Aiko",
    "Bernhard",
]
_GIVEN_ACCENTED = [
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Jürgen",
    "François",
    "Çağlar",
    "Ørjan",
    "Maël",
    "Răzvan",
    "Ángel",
    "Benoît",
    "Jiří",
    "Mikołaj",
    "Hélène",
]
_FAMILY = [
    "Berner",
    "Grohs",
    "Kutyniok",
    "Petersen",
    "Yu",
    "Li",
    "Cai",
    "Sun",
    "Salman",
    "Stanton",
    "Izmailov",
    "Kirichenko",
    "Alemi",
    "Wilson",
    "Beyer",
    "Dosovitskiy",
    "Vaswani",
    "Shazeer",
    "Parmar",
    "Uszkoreit",
    "Jones",
    "Gomez",
    "Kaiser",
    "Polosukhin",
    "He",
    "Zhang",
    "Ren",
    "Girshick",
    "Dollár",
    "Sutskever",
    "Hinton",
    "LeCun",
    "Bengio",
    "Karpathy",
    "Finn",
    "Levine",
    "Abbeel",
    "Vinyals",
    "Le",
    "Dean",
    "Devlin",
    "Chang",
    "Lee",
    "Toutanova",
    "Raffel",
    "Touvron",
    "Cord",
    "Douze",
    "Joulin",
    "Massa",
    "Sablayrolles",
    "Jégou",
    "Wang",
    "Chen",
    "Liu",
    "Tanaka",
    "Suzuki",
    "Watanabe",
    "Takahashi",
    "Ito",
    "Yamamoto",
    "Nakamura",
    "Kobayashi",
    "Sato",
    "Singh",
    "Gupta",
    "Kumar",
    "Patel",
    "Smith",
    "Brown",
    "van der Maaten",
    "de Vries",
    "van den Oord",
    "Le Cun",
    "Pascanu",
]
_FAMILY_ACCENTED = [
    "Müller",
    "García",
    "Sørensen",
    "Schölkopf",
    "Łącki",
    "Kovačević",
    "Ünal",
    "Nguyễn",
    "Đặng",
    "Gülçehre",
    "Dvořák",
    "Rodríguez",
    "Jaśkowski",
    "von Kügelgen",
]
_CJK_NAMES = ["山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美咲", "王 伟", "李 娜", "張 偉"]

_TAGS_TOPIC = [
    "transformer",
    "vit",
    "vision",
    "nlp",
    "llm",
    "diffusion",
    "gan",
    "vae",
    "rl",
    "offline-rl",
    "robotics",
    "self-supervised",
    "contrastive",
    "distillation",
    "pruning",
    "quantization",
    "sparsity",
    "moe",
    "nas",
    "optimization",
    "theory",
    "generalization",
    "scaling-laws",
    "training",
    "normalization",
    "batchnorm",
    "attention",
    "efficient-attention",
    "long-context",
    "retrieval",
    "rag",
    "prompting",
    "in-context-learning",
    "instruction-tuning",
    "rlhf",
    "alignment",
    "safety",
    "interpretability",
    "mechanistic-interp",
    "probing",
    "fairness",
    "privacy",
    "federated",
    "continual-learning",
    "meta-learning",
    "few-shot",
    "zero-shot",
    "multimodal",
    "clip",
    "vqa",
    "captioning",
    "detection",
    "detr",
    "segmentation",
    "depth",
    "3d",
    "nerf",
    "gaussian-splatting",
    "point-cloud",
    "video",
    "speech",
    "audio",
    "tts",
    "asr",
    "translation",
    "summarization",
    "qa",
    "reasoning",
    "math",
    "code",
    "agents",
    "planning",
    "world-models",
    "graph",
    "gnn",
    "recsys",
    "time-series",
    "tabular",
    "bayesian",
    "uncertainty",
    "calibration",
    "ood",
    "robustness",
    "adversarial",
    "causality",
    "kernels",
    "ntk",
    "lottery-ticket",
    "mlp",
    "cnn",
    "resnet",
    "hybrid",
    "tokenizer",
    "embeddings",
    "compression",
    "hardware",
    "inference",
    "serving",
    "dataset",
    "benchmark",
    "evaluation",
    "survey",
    "imagenet",
    "coco",
    "protein",
    "biology",
    "medical",
    "climate",
    "physics",
    "chemistry",
    "neuroscience",
    "education",
    "ssm",
    "mamba",
    "rwkv",
    "linear-attention",
    "positional-encoding",
    "lora",
    "peft",
    "adapter",
    "pretraining",
    "finetuning",
    "data-augmentation",
    "curriculum",
    "active-learning",
    "semi-supervised",
    "weak-supervision",
    "label-noise",
    "domain-adaptation",
    "transfer-learning",
    "multitask",
    "hyperparameters",
    "optimizer",
    "adam",
    "sgd",
    "learning-rate",
    "initialization",
]
_TAGS_ORG = [
    "google",
    "deepmind",
    "openai",
    "meta",
    "fair",
    "microsoft",
    "msr",
    "nvidia",
    "apple",
    "amazon",
    "baidu",
    "alibaba",
    "tencent",
    "huawei",
    "naver",
    "sony",
    "preferred-networks",
    "riken",
    "utokyo",
    "kyoto-u",
    "stanford",
    "berkeley",
    "mit",
    "cmu",
    "nyu",
    "oxford",
    "cambridge",
    "eth",
    "epfl",
    "mila",
    "tsinghua",
    "pku",
    "kaist",
    "anthropic",
    "allen-ai",
    "huggingface",
    "eleuther",
]
_TAGS_MISC = [
    "to-read",
    "must-read",
    "reread",
    "reproduce",
    "reproduced",
    "cite-in-thesis",
    "reading-group",
    "classic",
    "sota",
    "negative-result",
    "controversial",
    "well-written",
    "hard-to-read",
    "open-source",
    "no-code",
    "blog-worthy",
    "idea",
    "baseline",
    "related-work",
    "follow-up",
    "rg-2019",
    "rg-2020",
    "rg-2021",
    "rg-2022",
    "rg-2023",
    "rg-2024",
    "rg-2025",
    "thesis-ch2",
    "thesis-ch3",
    "thesis-ch4",
    "review-2024",
    "review-2025",
    "teaching",
]
TAGS: list[str] = list(dict.fromkeys(_TAGS_TOPIC + _TAGS_ORG + _TAGS_MISC))

_VENUES = [
    "NeurIPS",
    "ICML",
    "ICLR",
    "CVPR",
    "ICCV",
    "ECCV",
    "ACL",
    "EMNLP",
    "NAACL",
    "AAAI",
    "IJCAI",
    "KDD",
    "WACV",
    "CoRL",
    "Interspeech",
    "COLT",
    "AISTATS",
    "UAI",
    "TPAMI",
    "JMLR",
    "TMLR",
    "Nature",
    "Science",
]
_JOURNALS = {"TPAMI", "JMLR", "TMLR", "Nature", "Science"}
_CLASSES = ["cs.LG", "cs.CV", "cs.CL", "stat.ML", "cs.AI", "cs.RO", "cs.SD", "q-bio.QM"]
_OLD_ARCHIVES = ["cs", "hep-th", "math", "physics", "cond-mat", "q-bio", "cs.LG", "math.ST"]

_JA = [
    "この論文は手法がシンプルで良い。",
    "再現実験が必要。",
    "ImageNetでの結果が強い。",
    "計算コストが高いのが難点。",
    "著者のコードは公開済み。",
    "アブレーションが丁寧。",
    "理論的な裏付けはやや弱い。",
    "関連研究の整理が分かりやすい。",
    "小さいモデルでも効くのか要確認。",
    "ベースラインの比較が不公平かもしれない。",
    "実装が難しそう。",
    "スケールさせるとどうなるか気になる。",
    "図3がとても分かりやすい。",
    "前の論文の続き。",
    "読み直す価値あり。",
    "Transformerの注意機構を置き換える提案。",
    "学習が不安定という報告もある。",
    "日本語のデータセットでも試したい。",
    "要するにデータが全て。",
    "研究会で紹介する予定。",
    "評価指標に疑問がある。",
    "結論はかなり慎重。",
    "モヤモヤしていたところがスッキリした。",
    "数式が多くて追うのが大変。",
]
_EN = [
    "Simple idea, strong results.",
    "Need to reproduce the main table.",
    "Compare with the baseline in Sec. 4.",
    "The ablation on depth is convincing.",
    "Not sure the gains survive tuning the baseline.",
    "Good related-work section.",
    "Code is released on GitHub.",
    "Worth citing in the thesis.",
    "Check the appendix for the proofs.",
    "Training is 3x cheaper than the baseline.",
    "Uses the same data as the previous paper.",
    "Results on small models only.",
    "The main claim is about scaling.",
    "Read together with the follow-up paper.",
    "Nice visualisations of attention maps.",
    "The theory assumes infinite width.",
    "Strong zero-shot numbers on COCO.",
    "Evaluation protocol is non-standard.",
]
_MD_BITS = [
    "## メモ",
    "### TODO",
    "- [ ] 再現する",
    "- [x] read the appendix",
    "**要点**:",
    "`lr=3e-4` で安定",
    "> The key insight is locality.",
    "1. 手法",
    "2. 実験",
    "- 長所: シンプル",
    "- 短所: 遅い",
    "See [the blog](https://example.org/post).",
    "*important*",
    "```python\nloss = ce(logits, y)\n```",
]


# ---------------------------------------------------------------- one paper


def _zipf_weights(n: int, s: float = 0.9) -> list[float]:
    return [1.0 / (rank + 1) ** s for rank in range(n)]


_TAG_WEIGHTS = _zipf_weights(len(TAGS))


def _noun_phrase(rng: random.Random) -> list[str]:
    words = [rng.choice(_TITLE_ADJ)] if rng.random() < 0.6 else []
    return words + rng.choice(_TITLE_NOUNS).split()


def _title(rng: random.Random) -> str:
    """8-20 words, most of them 8-12: `[Opener] NP link NP[: Subtitle]`."""
    target = 8 + int(13 * rng.random() ** 2)
    words: list[str] = []
    roll = rng.random()
    if roll < 0.01:
        words.append(rng.choice(_TITLE_MATH) + ":")
    if rng.random() < 0.45:
        words += rng.choice(_TITLE_OPENERS).split()
    words += _noun_phrase(rng)
    words.append(rng.choice(_TITLE_LINKS))
    words += _noun_phrase(rng)
    if len(words) < target - 2 and rng.random() < 0.5:
        words[-1] += ":"
        words += rng.choice(_TITLE_OPENERS).split() + _noun_phrase(rng)
    while len(words) < target:
        if rng.random() < 0.3:
            words += rng.choice(_TITLE_TAILS).split()
        else:
            words += [rng.choice(_TITLE_LINKS), *_noun_phrase(rng)]
    if 0.01 <= roll < 0.013:
        words.insert(len(words) // 2, rng.choice(_TITLE_HEAVY_MATH))
    words = words[:target]
    if words[-1] in _TITLE_LINKS:
        words[-1] = rng.choice(_TITLE_NOUNS).split()[-1]
    words[-1] = words[-1].rstrip(":")
    return " ".join(words)


def _author(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.01:
        return rng.choice(_CJK_NAMES)
    given = rng.choice(_GIVEN_ACCENTED if rng.random() < 0.06 else _GIVEN)
    if roll < 0.15:
        given += f" {rng.choice('ABCDEFGHJKLMNPRSTW')}."
    return f"{given} {rng.choice(_FAMILY_ACCENTED if rng.random() < 0.08 else _FAMILY)}"


def _arxiv(rng: random.Random, year: int) -> str:
    month = rng.randint(1, 12)
    if year >= 2007:
        if rng.random() > 0.75:
            return ""
        yy = year % 100
        digits = 5 if year >= 2015 else 4
        return f"{yy:02d}{month:02d}.{rng.randint(1, 10**digits - 1):0{digits}d}"
    if year >= 1991 and rng.random() < 0.4:
        return f"{rng.choice(_OLD_ARCHIVES)}/{year % 100:02d}{month:02d}{rng.randint(1, 999):03d}"
    return ""


def _sentences(rng: random.Random, pool: list[str], k: int) -> list[str]:
    return [rng.choice(pool) for _ in range(k)]


def _comment(rng: random.Random) -> str:
    target = int(20 * 15 ** (rng.random() ** 1.5))  # 20-300 characters, median about 70
    if rng.random() < 0.15:  # multi-line Markdown
        lines: list[str] = []
        while sum(len(x) + 1 for x in lines) < target:
            roll = rng.random()
            if roll < 0.4:
                lines.append(rng.choice(_MD_BITS))
            elif roll < 0.7:
                lines.append("- " + rng.choice(_JA))
            else:
                lines.append("- " + rng.choice(_EN))
        text = "\n".join(lines)[:300].rstrip()
        return text if len(text) >= 20 else text + "\n" + rng.choice(_JA)
    parts = _sentences(rng, _JA, 3) + _sentences(rng, _EN, 3)
    rng.shuffle(parts)
    text = ""
    for part in parts:
        if len(text) >= target:
            break
        text += part if not text or text.endswith("。") else " " + part
    if len(text) > 300:
        text = text[:299] + "…"
    while len(text) < 20:
        text += rng.choice(_JA)
    return text


def make_paper(rng: random.Random, taken: set[str], index: int) -> Paper:
    """One random but plausible paper; its key is unique among `taken` (updated)."""
    title = _title(rng)
    authors = [_author(rng) for _ in range(min(12, int(rng.expovariate(1 / 3.5)) + 1))]
    year = rng.randint(1990, 2025)
    arxiv_id = _arxiv(rng, year)
    venue = entry_type = ""
    if rng.random() < 0.2:
        short = rng.choice(_VENUES)
        venue = f"{short} {year}" if short not in _JOURNALS else short
        entry_type = "article" if short in _JOURNALS else "inproceedings"
    elif rng.random() < 0.3:
        entry_type = "misc"
    n_tags = rng.choices([1, 2, 3, 4, 5], weights=[25, 30, 25, 12, 8])[0]
    tags: list[str] = []
    while len(tags) < n_tags:
        tag = rng.choices(TAGS, weights=_TAG_WEIGHTS)[0]
        if tag not in tags:
            tags.append(tag)
    key = unique_key(base_key(authors, year, title), taken)
    taken.add(key)
    added_year = max(year, 2015) if year < 2026 else 2025
    added = f"{min(added_year, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    edited = ""
    if rng.random() < 0.3:
        edited = f"{added}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+00:00"
    return Paper(
        key=key,
        title=title,
        authors=authors,
        year=year,
        arxiv_id=arxiv_id,
        primary_class=rng.choice(_CLASSES) if arxiv_id and rng.random() < 0.6 else "",
        entry_type=entry_type,
        venue=venue,
        volume=str(rng.randint(1, 40)) if entry_type == "article" else "",
        pages=f"{(p := rng.randint(1, 9000))}-{p + rng.randint(4, 30)}"
        if venue and rng.random() < 0.5
        else "",
        doi=f"10.{rng.randint(1000, 9999)}/{key}.{index}" if rng.random() < 0.1 else "",
        publisher="",
        url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id and rng.random() < 0.5 else "",
        tags=tags,
        comment=_comment(rng),
        status=rng.choices(STATUSES, weights=[40, 35, 25])[0],
        starred=rng.random() < 0.05,
        added=added,
        edited=edited,
    )


def generate_papers(n: int, seed: int = DEFAULT_SEED) -> list[Paper]:
    rng = random.Random(seed)
    taken: set[str] = set()
    return [make_paper(rng, taken, i) for i in range(n)]


def log_document(papers: list[Paper]) -> dict[str, Any]:
    """The TinyDB layout the store reads: meta and papers tables, ids from "1"."""
    return {
        META: {"1": {"schema": SCHEMA_VERSION}},
        PAPERS: {str(i): p.to_dict() for i, p in enumerate(papers, start=1)},
    }


def write_log(path: Path, n: int, seed: int = DEFAULT_SEED) -> Path:
    """Write a log of `n` generated papers to `path` (with the store's own `dumps`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps(log_document(generate_papers(n, seed))))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a generated reading log.")
    parser.add_argument("n", type=int, help="number of papers")
    parser.add_argument("out", type=Path, help="the log file to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    write_log(args.out, args.n, args.seed)
    size = args.out.stat().st_size / 1e6
    print(f"wrote {args.n} papers to {args.out} ({size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
