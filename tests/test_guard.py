"""The link guard and the citation checker (scientist.guard)."""

from __future__ import annotations

import json

import pytest

from scientist.errors import QuestionError
from scientist.guard import REMOVED, clean_question, find_urls, strip_foreign_urls


def test_clean_question_normalises_and_removes_links():
    assert clean_question("  how\tdoes   it\x00work?  ") == "how does it work?"
    q = clean_question("cite http://evil.example/x and www.fake.org please")
    assert "evil" not in q and "fake" not in q and q.count(REMOVED) == 2
    for bad in ("", "   ", "\x00\x01", None, 42):
        with pytest.raises(QuestionError):
            clean_question(bad)


def test_strip_foreign_urls_keeps_only_allowed_links():
    allowed = {"https://github.com/chosj95/MIMO-UNet"}
    text = "see https://github.com/chosj95/MIMO-UNet, https://evil.example/x. and javascript:alert(1)"
    out = strip_foreign_urls(text, allowed)
    assert find_urls(out) == ["https://github.com/chosj95/MIMO-UNet"]
    assert out.count(REMOVED) == 2 and out.endswith(f"and {REMOVED})")


def test_links_written_without_their_scheme_are_links():
    """Chat apps show "bit.ly/3abc" or "github.com/evil/x" as links: found, removed unless a record's own (its link
    without the scheme), and file names, versions and abbreviations stay words."""
    from scientist.guard import AllowedLinks

    allowed = AllowedLinks.of(["https://github.com/chosj95/MIMO-UNet"])
    assert "github.com/chosj95/MIMO-UNet" in allowed
    text = "see bit.ly/3abc, github.com/evil/x, 1.2.3.4/payload and github.com/chosj95/MIMO-UNet-evil."
    assert find_urls(text, allowed) == ["bit.ly/3abc", "github.com/evil/x", "1.2.3.4/payload",
                                        "github.com/chosj95/MIMO-UNet-evil"]
    assert strip_foreign_urls(text, allowed) == f"see {REMOVED}, {REMOVED}, {REMOVED} and {REMOVED}."
    own = "the code is at github.com/chosj95/MIMO-UNet."
    assert strip_foreign_urls(own, allowed) == own
    words = ("model.pth, scientist/weights/exposure.json, e.g./i.e., and/or, 4K/8K, w/o, Python 3.11/3.12, U.S./E.U., "
             "Node.js/Python, README.md/ARCHITECTURE.md, cv2.imread/cv2.imdecode, torch.nn/torch.optim, ASP.NET/C#, "
             "main.rs/lib.rs, model.pt/x, PSNR 30.5/31.2 dB at x2.0/x4.0, v1.2.3.4/5")
    assert find_urls(words) == [] and strip_foreign_urls(words, allowed) == words
    assert clean_question(words) == words  # a question's words are not taken for links either
    assert clean_question("how does it denoise? see bit.ly/3abc") == f"how does it denoise? see {REMOVED}"
    # as emphasis, with a port, in other scripts
    assert find_urls("_github.com/evil/x_ evil.com:8080/x bücher.de/x") == [
        "github.com/evil/x", "evil.com:8080/x", "bücher.de/x"]


def test_verify_flags_a_link_without_its_scheme(fake_sci):
    v = fake_sci.verify("MIMO-UNet denoises; code at github.com/evil/MIMO-UNet and github.com/chosj95/MIMO-UNet.")
    assert not v.grounded and v.foreign_urls == ["github.com/evil/MIMO-UNet"]


def test_a_question_naming_a_records_link_without_its_scheme_names_the_record(fake_sci):
    answer = fake_sci.ask("what does github.com/chosj95/MIMO-UNet do to noise?")  # was a KeyError
    assert answer.question == 'what does "Deblur-MIMO-UNet-RealBlur" do to noise?'  # read as the record's title


def test_verify_flags_ungrounded_links_and_names(sci):
    text = ("The task is image denoising. Input photo -> MIMO-UNet -> output photo. It is like DnCNN "
            "(arXiv:1608.03981) and https://github.com/cszn/DnCNN; see https://github.com/chosj95/MIMO-UNet.")
    v = sci.verify(text)
    assert not v.grounded
    assert v.foreign_urls == ["https://github.com/cszn/DnCNN"]
    assert "DnCNN" in v.unknown_names and "arXiv:1608.03981" in v.unknown_names
    assert v.cited_records == ["deblur-mimo-unet-realblur"]
    assert v.parts == {"task": True, "workflow": True, "references": True}
    ok = sci.verify(sci.ask("how does it reduce noise?").markdown)
    assert ok.grounded, ok.summary()
    assert sci.verify("Nothing here.").parts == {"task": False, "workflow": False, "references": False}


@pytest.mark.parametrize(("text", "figures"), [
    ("MIMO-UNet+ reaches 32.45 dB PSNR on RealBlur-J and runs at 30 ms per photo.", ["32.45 dB", "30 ms"]),
    ("It gets a PSNR of 31.2 and an SSIM: 0.93 on GoPro.", ["PSNR of 31.2", "SSIM: 0.93"]),
    ("MIMO-UNet was written at Google in 2019.", ["in 2019"]),
    ("MIMO-UNet (CVPR 2020) has 12.4M params.", ["CVPR 2020", "12.4M params"]),
    ("It runs at 60 fps with 150 GFLOPs.", ["60 fps", "150 GFLOPs"]),
    # found by review: written without spaces, in lower case, after the number, as a compound
    ("PSNR=32.45, SSIM≈0.957, psnr of 30.1; 29.8 PSNR on RealBlur", ["PSNR=32.45", "SSIM≈0.957", "psnr of 30.1",
                                                                     "29.8 PSNR"]),
    ("A 16.2M-parameter model at 25 frames per second.", ["16.2M-parameter", "25 frames per second"]),
    # a number the records write as another kind of figure grounds nothing: 32 is a count of channels there
    ("MIMO-UNet+ reaches a PSNR of 32 and runs at 20 fps.", ["PSNR of 32", "20 fps"]),
    ("SSIM of 0.87,0.91", ["SSIM of 0.87"]),  # the number whole, not shortened until it fits
    ("MIMO-UNet is not slow, it reaches 32.45 dB.", ["32.45 dB"]),  # a negation elsewhere disclaims nothing
    # found by a second review: a negation and a word of reporting that say nothing of the figure disclaim nothing
    ("MIMO-UNet does not need a GPU and the paper reports a PSNR of 40.", ["PSNR of 40"]),
    ("The record says MIMO-UNet+ needs no tiling and runs at 30 ms per photo.", ["30 ms"]),
    ("MIMO-UNet+ has 16.1 billion parameters.", ["16.1 billion parameters"]),  # the card's 16.1 M, scaled
    ("150 GFLOPS, 99 million trainable parameters, 30 milliseconds, 32.45 decibels, SSIM of .93, PSNR > 31.2",
     ["150 GFLOPS", "99 million trainable parameters", "30 milliseconds", "32.45 decibels", "SSIM of .93",
      "PSNR > 31.2"]),
    ("MIMO-UNet reaches 40 dB.Next it sharpens.", ["40 dB"]),  # no file's extension
    # found by review: counts, shares, ratios and times of a study or a network, against the records' own
    ("The annotation study used 100,000 images from 12 companies and 5000 annotators.",
     ["100,000 images", "12 companies", "5000 annotators"]),  # the record: 57,648, four, 924
    ("MIMO-UNet removes 95% of the noise and runs in 0.5 seconds per image.", ["95% of the noise", "0.5 seconds"]),
    ("It was trained for 3000 epochs on 8 GPUs, is 10 times faster than others and has 12 residual blocks.",
     ["3000 epochs", "8 GPUs", "10 times faster", "12 residual blocks"]),
    ("The GoPro data set has around 2000 training pairs.", ["2000 training pairs"]),
    # found by a second review: abbreviated, per second, memory, training time, batch size, comparisons, people
    ("MIMO-UNet runs in 1.5 s per photo and processes 30 images per second.", ["1.5 s", "30 images per second"]),
    ("batch size: 4, batch size=8, 2.5 s/image, 30 photos/s",
     ["batch size: 4", "batch size=8", "2.5 s", "30 photos/s"]),
    ("It was trained with a batch size of 4 for 48 hours and needs 4GB of VRAM.",
     ["batch size of 4", "4GB of VRAM"]),
    ("MIMO-UNet was trained for 48 hours.", ["trained for 48 hours"]),
    ("It is 30 percent better and uses 40% less memory; 5 pathologists judged it.",
     ["30 percent better", "40% less", "5 pathologists"]),
    # found by a third review: an accuracy's share, and a venue other than the record's of the same year
    ("It achieves 99% accuracy. Its accuracy is 98%. It reaches an accuracy of 97 percent.",
     ["99% accuracy", "accuracy is 98%", "accuracy of 97 percent"]),
    ("MIMO-UNet was published at CVPR 2021.", ["CVPR 2021"]),
    # found by a fourth review: other wordings, and a venue without its year
    ("MIMO-UNet accuracy: 99%. It cuts noise by 95%, and reduces blur by 40 percent.",
     ["accuracy: 99%", "cuts noise by 95%", "reduces blur by 40 percent"]),
    ("MIMO-UNet was presented at CVPR; (Cho et al., ECCV'21).", ["CVPR", "ECCV"]),
])
def test_verify_flags_figures_no_record_gives(sci, text, figures):
    """A made-up result passed as grounded: verify read links and names only."""
    v = sci.verify(text)
    assert not v.grounded and v.unknown_figures == figures, v.summary()
    assert all(f"ungrounded figure: {f}" in v.summary() for f in figures)


@pytest.mark.parametrize("text", [
    "MIMO-UNet (Cho et al., ICCV 2021) has 16.1 M parameters; the smaller MIMO-UNet has 6.8M params.",
    "MIMO-UNet was published in 2021, at ICCV 2021.",  # the venue's year grounds the year
    "MIMO-UNet appeared at ICCV; the records do not say whether it was shown at CVPR.",
    "The study drew on 57,648 images from 924 annotators.",
    "The question asks about PSNR and SSIM, which none of the 3 records reports.",  # no figure given
    "A 1920×1080 photo in 2,048 tiles, at 0.87 of the gain.",  # sizes and counts of tiles are not results
    # counts, shares and times the records give (one in words), or of the person's own photos and runs
    "924 annotators and 34 quality-assurance workers from 4 annotation companies; noise gave 87% of the gain.",
    "MIMO-UNet+ has 20 residual blocks per stage and MIMO-UNet eight blocks.",
    "I restored your 3 photos in 2 minutes; the network took 6 min 44 s.",
    # found by review: "one of" counts nothing, and a time for each step is no time for each photo
    "MIMO-UNet is one of the networks; one of the annotators of the study said so.",
    "Each step takes 5 seconds per step, and 10 minutes each.",
    "I took 200 photos at a party, and 40% of them were blurry.",  # the person's own share
    "restored.png (PNG, 16 bits per channel; strength 0.60)",  # the demo's own words: bits per channel, no count
    "# Does MIMO-UNet reach 40 dB as in 2019?\n\nThe records give no PSNR.",  # a title echoes the question
    "The records do not report a PSNR of 32.45 dB for MIMO-UNet+, so I cannot confirm it.",  # said not given
    "None of the records says whether it runs at 30 fps.",
    "Your photo: `Wedding 2019.png`, IMG_2041 (2018).jpg, trip in 2019.jpg",  # file names, as a demo lists them
    "It was resized from 2048 to 1024 pixels, in 2048-pixel tiles.",  # sizes
    "MIMO-UNet has 16.1 million parameters, 6.8 M in its smaller form (ICCV 2021).",
    "MIMO-UNet+ has 16,100,000 parameters.",  # the card's 16.1 M, written out
    "Its PSNR is not given in the records (e.g. 32.45 dB is not stated).",
    "The GoPro data set: a 4096 by 2048 photo; Width 2048; Step 2000; (2048, 2048).",
    "photo (2018)_restored.png and Wedding 2019 v2.png",  # numbers in files' names
])
def test_verify_passes_figures_the_records_give_and_numbers_that_are_no_results(sci, text):
    v = sci.verify(text)
    assert v.unknown_figures == [] and v.grounded, v.summary()


@pytest.mark.parametrize(("text", "said"), [
    # found by blind sets of chatbot answers: a figure the corpus writes, said of a record that does not write it,
    # passed, because any record's figure grounded any figure
    ("MIMO-UNet removes 87% of the noise.", "87% of the noise, said of Deblur-MIMO-UNet-RealBlur"),
    ("MIMO-UNet was trained by 924 annotators.", "924 annotators, said of Deblur-MIMO-UNet-RealBlur"),
    ("The Quality Assured study used 20 residual blocks.",
     "20 residual blocks, said of Quality Assured: Rethinking Annotation Strategies in Imaging AI"),
    # the record named by its link, earlier in the sentence
    ("From the annotation paper (http://arxiv.org/pdf/2407.17596v2.pdf): better instructions gave 87% of the "
     "gain.", "87% of the gain, said of Quality Assured: Rethinking Annotation Strategies in Imaging AI"),
    # by the paragraph, when its sentence names none
    ("MIMO-UNet keeps detail with its Fourier loss. In the experiments this recovers 87% of the fine texture.",
     "87% of the fine, said of Deblur-MIMO-UNet-RealBlur"),  # (two words of what it is of)
    # a variant's figure said of another variant of the same record
    ("MIMO-UNet+ has 6.8 M parameters.", "6.8 M parameters, said of MIMO-UNet+"),
    ("The RealBlur weights are MIMO-UNet+ with 8 residual blocks per stage.", "8 residual blocks, said of MIMO-UNet+"),
    ("The base MIMO-UNet uses 20 residual blocks per stage.", "20 residual blocks, said of MIMO-UNet"),
    # found by a second outside review: the variant named last before the figure in its sentence
    ("MIMO-UNet+ has 6.8 M parameters and MIMO-UNet has 16.1 M parameters.", "6.8 M parameters, said of MIMO-UNet+"),
    ("MIMO-UNet+: 6.8 million parameters", "6.8 million parameters, said of MIMO-UNet+"),
    ("The larger variant, MIMO-UNet+, has 6.8M parameters.", "6.8M parameters, said of MIMO-UNet+"),
    ("MIMO-UNet+, with 6.8M parameters, is the RealBlur model.", "6.8M parameters, said of MIMO-UNet+"),
    # by the heading above, when its paragraph names none (a second review: sections of an answer passed)
    ("## The annotation paper\n\n- 16.1M parameters\n- 924 annotators",
     "16.1M parameters, said of Quality Assured: Rethinking Annotation Strategies in Imaging AI"),
    ("### MIMO-UNet\nIt yields 87% of the improvement.", "87% of the improvement, said of Deblur-MIMO-UNet-RealBlur"),
])
def test_verify_flags_a_figure_said_of_a_record_that_does_not_write_it(sci, text, said):
    v = sci.verify(text)
    assert not v.grounded and v.others_figures == [said] and not v.unknown_figures, v.summary()
    assert f"figure of another record or variant: {said}" in v.summary()
    from scientist.guard import verify_text

    assert verify_text(sci.corpus, text, by_record=False).grounded  # any record's figure grounds it


@pytest.mark.parametrize("text", [
    "The histopathology paper recovers 87% of the similarity gain; MIMO-UNet has 16.1M parameters.",
    "Unlike MIMO-UNet, the annotation study had 924 annotators.",
    "MIMO-UNet and the histopathology paper: 87% of the gain, and 16.1 M parameters.",  # both named
    "MIMO-UNet has 16.1 million parameters.",  # the family's name: any of its variants
    "MIMO-UNet comes in two sizes: 6.8 M and 16.1 M parameters.",
    "MIMO-UNet+ was published at ICCV 2021.",  # a kind the record does not tell its variants apart by
    "MIMO-UNet+ (16.1 M parameters) and MIMO-UNet (6.8 M parameters).",
    # a variant's figure in another clause than its name: not read as said of it ("Next to MIMO-UNet+, the base
    # model has 6.8 M parameters" would not be either)
    "The RealBlur weights are the MIMO-UNet+ variant, not the one with 6.8 M parameters.",
    "87% of the similarity gain came from noise alone.\n\nMIMO-UNet is a deblurring network.",  # paragraphs apart
    "The records do not say that MIMO-UNet reaches 87% of anything.",
    # the demo's own words, which failed the tool's own check (found by the slow tests and a second review)
    "The architecture is the one part 2 describes, as MIMO-UNet, its smaller variant (8 residual blocks per stage "
    "where the published MIMO-UNet+ has 20).",
    "MIMO-UNet+ has 20 blocks where the smaller one has 8 blocks.",
    # the record's title names the record whole, not a variant of it
    "| Deblur-MIMO-UNet-RealBlur | model | 16.1 M parameters (MIMO-UNet+) |",
    "## MIMO-UNet\n\n- 16.1M parameters\n\n## The histopathology paper\n\n- 87% of the similarity gain",
    "# How big is MIMO-UNet?\n\nThe records give 16.1 M parameters.",
])
def test_verify_passes_a_figure_said_of_a_record_that_writes_it(sci, text):
    v = sci.verify(text)
    assert v.grounded and not v.others_figures, v.summary()


@pytest.mark.parametrize(("text", "names", "figures"), [
    # found by the blind sets: forms of names and figures that were not read
    ("The generator is a pix2pixHD conditional GAN.", ["pix2pixHD"], []),
    ("MIMO-UNet (Nah et al., ICCV 2021) and Li et al. wrote it.", ["Nah", "Li"], []),
    ("MIMO-UNet (Cho et al., 2022).", [], ["et al., 2022"]),
    ("Values are scaled to [0, 255] and padded to a multiple of 8.", [], ["[0, 255]", "multiple of 8"]),
    ("It feeds the photo in at four scales.", [], ["four scales"]),
    ("It was trained on masks from 924 lung biopsies.", [], ["924 lung biopsies"]),
    ("The synthetic images improved segmentation by roughly 5%.", [], ["improved segmentation by roughly 5%"]),
    # found by a second review: a year followed by "by" and words was read as a size ("1920 by 1080")
    ("MIMO-UNet was published in 2019 by the authors.", [], ["in 2019"]),
    ("It appeared at CVPR 2021 by Cho et al.", [], ["CVPR 2021"]),
])
def test_verify_reads_names_and_figures_written_so(sci, text, names, figures):
    v = sci.verify(text)
    assert not v.grounded and v.unknown_names == names and v.unknown_figures == figures, v.summary()


@pytest.mark.parametrize("text", [
    "MIMO-UNet (Cho et al., 2021), values in [0, 1], padded to a multiple of 4, at three scales.",
    "It shrinks the photo to 1/2 and 1/4 scales.",  # fractions, no count
    "Play it as mp3 or h264; covid19 is no model.",
    # the demo's noise figure: "would take away 29.6 at fine scales" counts no scales; "2019 by 2020" is a size
    "The network would take away 29.6 at fine scales; a 2019 by 2020 photo.",
    "Preprint: http://arxiv.org/pdf/2407.17596v2.pdf (CVF open access for the other; both PDFs).",
])
def test_verify_passes_names_and_figures_the_records_write_so(sci, text):
    v = sci.verify(text)
    assert v.grounded, v.summary()


@pytest.mark.parametrize("text", ["Code at https://GitHub.com/chosj95/MIMO-UNet.",
                                  "HTTPS://GITHUB.COM/chosj95/MIMO-UNet", "see GitHub.com/chosj95/MIMO-UNet",
                                  # found by a second review: a closing slash, .git, http for https
                                  "https://github.com/chosj95/MIMO-UNet/", "https://github.com/chosj95/MIMO-UNet.git",
                                  "http://github.com/chosj95/MIMO-UNet"])
def test_verify_reads_a_records_link_whatever_the_case_of_its_host(sci, text):
    """Found by an outside review: "GitHub.com" made the record's own link ungrounded and cited no record."""
    v = sci.verify(text)
    assert v.grounded and v.cited_records == ["deblur-mimo-unet-realblur"], v.summary()
    assert sci.verify("https://github.com/CHOSJ95/mimo-unet").foreign_urls  # a path keeps its case


def test_verify_reads_figures_in_linear_time(sci):
    """A number followed by 100,000 spaces took 21 s: two unbounded runs of white space in a row."""
    import time

    for text in ("MIMO-UNet has 1" + " " * 200_000 + "x", "PSNR" + " of" * 200_000 + " 3", "(" * 200_000 + "2019",
                 "1" + "\t" * 200_000 + "dB", 'Read "a" as "b", ' * 50_000, "no 1 dB " * 60_000,
                 "in 2019 " * 60_000, "".join(f"no {i} dB " for i in range(40_000)), "one big red " * 60_000,
                 "1 % " * 60_000 + "of"):
        start = time.perf_counter()
        sci.verify(text)
        assert time.perf_counter() - start < 5, text[:20]


def test_verify_passes_the_answer_to_a_question_with_a_word_read_as_misspelt(sci):
    """The title echoes "Quailty", which the answer's own note says was read as "quality": verify called it an
    ungrounded name.  Said anywhere but a title, or without the note, it is still one."""
    answer = sci.ask("Quailty Assured paper, who delivered more annotations?")
    assert any(n.startswith('Read "Quailty" as "quality"') for n in answer.notes)
    for text in (answer.markdown, answer.text, answer.model_dump_json()):
        verdict = sci.verify(text)
        assert verdict.grounded, verdict.summary()
    assert sci.verify("# Why Quailty wins\n\nQuailty beats MIMO-UNet.").unknown_names == ["Quailty"]


def test_verify_flags_a_name_written_as_an_ordinary_capitalised_word(sci):
    # a model with no name's shape passed as grounded: only CamelCase, capitals and digits were read as names
    v = sci.verify("Like Restormer, MIMO-UNet keeps the Fourier detail. Restormer is not in the records.")
    assert v.unknown_names == ["Restormer"] and not v.grounded
    assert sci.verify("Samsung phones and Canon cameras both make grain that MIMO-UNet removes.").grounded


def test_verify_passes_the_plain_text_answer_whose_headings_are_in_capitals(sci):
    # "IN THE RECORDS' OWN WORDS", "1. THE TASK": every word in capitals was an ungrounded name, so the tool's own
    # answer as --format text failed its own check, and a heading's NOISE cited the paper whose title holds it
    v = sci.verify(sci.ask("how does it reduce noise?").text)
    assert v.grounded and v.unknown_names == [], v.summary()
    assert v.cited_records == ["deblur-mimo-unet-realblur"]
    assert sci.verify("SAM segments the photo; DETR and YOLO find objects in it.").unknown_names == \
        ["SAM", "DETR", "YOLO"]  # a word in capitals alone is still a name
    # an English word in capitals is a name too (MAXIM deblurs), unless the vocabulary lists it as a word stressed
    assert sci.verify("MAXIM deblurs better. It is IMPORTANT that MIMO-UNet keeps detail.").unknown_names == ["MAXIM"]


@pytest.mark.parametrize("question", ["how does Restormer remove blur?", "explain Restormer denoising",
                                      "Is Real-ESRGAN better than MIMO-UNet for upscaling?"])
def test_verify_passes_the_tools_own_answer_to_a_question_that_names_another_model(sci, question):
    """The answer echoes the question in its title and says the records do not mention the name: neither claims
    anything, and verify failed the tool's own answer in every format ("ungrounded name: Restormer")."""
    answer = sci.ask(question)
    assert any(n.startswith("The question names") for n in answer.notes)
    for text in (answer.markdown, answer.text, answer.model_dump_json()):
        v = sci.verify(text)
        assert v.grounded and v.unknown_names == [], v.summary()


@pytest.mark.parametrize("text", [
    # found by a second outside review: the honest answers a chatbot should give were flagged
    "The records say nothing about NAFNet or Restormer.", "SwinIR is not in the corpus.",
    "NAFNet isn't covered by the records, so I can't compare.", "There's no record of SwinIR here.",
    "I don't have any information on NAFNet in my sources.",
])
def test_verify_passes_more_ways_of_saying_the_records_lack_a_name(sci, text):
    v = sci.verify(text)
    assert v.grounded and not v.unknown_names, v.summary()


@pytest.mark.parametrize("text", [
    "No record mentions NAFNet, but NAFNet is better.",  # the clause that says so, and no more
    "# Why Restormer wins\nIt removes blur better than MIMO-UNet.",  # a title's names count, unless disclaimed
    "The records do not mention it. Restormer removes blur.",
])
def test_verify_still_reads_a_name_beside_a_disclaimer_or_under_a_title(sci, text):
    v = sci.verify(text)
    assert not v.grounded and v.unknown_names in (["NAFNet"], ["Restormer"]), v.summary()


def test_disclaimers_are_read_anywhere_in_a_long_text(sci):
    """Disclaimers are looked for only near the words they hold (mention, name, cover), to read a megabyte of
    names fast; one far into a long text, two far apart, and a name left undisclaimed between them still read as
    they did when the whole text was searched."""
    filler = "The network keeps detail. " * 4000  # 104,000 characters between them
    text = (f"{filler}The question names NAFNet, which none of the 3 provided records mentions. {filler}"
            f"Restormer is not mentioned in the records. {filler}")
    assert sci.verify(text).grounded, sci.verify(text).summary()
    v = sci.verify(text + "SwinIR removes blur.")
    assert v.unknown_names == ["SwinIR"], v.summary()


@pytest.mark.parametrize("text", [
    # found by review: each passed as grounded once the title and disclaimers were first set aside
    json.dumps({"question": "q", "markdown": "Use MIMO-UNet.", "extra": "NAFNet https://evil.example.com/x"}),
    "# NAFNet beats everything\n\nUse MIMO-UNet.",
    "SwinIR beats MIMO-UNet though no record mentions it.",
    "Everyone should use Restormer instead; no record covers it.",
    "No record mentions that Restormer and SwinIR are far better.",
    "No record mentions NAFNet, Restormer beats it.",
    "MAXIM deblurs better than MIMO-UNet.",  # an English word in capitals, and a deblurring model
    "SwinIR is better. SwinIR is not in the corpus.", "NAFNet beats it; the records say nothing about that.",
])
def test_verify_is_not_fooled_by_a_title_or_a_disclaimer(sci, text):
    assert not sci.verify(text).grounded, text


@pytest.mark.parametrize("text", [
    "Smartphones add noise in low light. Downscaling first speeds it up. Hyperparameters were not tuned.",
    "- Runtime is a few seconds.\n- Backpropagation trains it.\n- Tonemapping is not part of it.",
    "[" * 3000 + "]" * 3000,  # JSON nested past the parser's limit: read as the text it is, not a crash
])
def test_ordinary_words_opening_a_sentence_and_deep_json_pass(sci, text):
    assert sci.verify(text).grounded


def test_verify_reads_a_json_document_as_its_reader_sees_it(sci):
    """A JSON answer's escaped line break stuck to each record link ("...MIMO-UNet\\n" is no record's link)."""
    import json

    record_link = "https://github.com/chosj95/MIMO-UNet"
    assert sci.verify(json.dumps({"answer": f"Code: {record_link}\nTask: denoising."})).grounded
    v = sci.verify(json.dumps({"links": [record_link, "https://evil.example/x"], "https://evil.example/key": 1}))
    assert v.foreign_urls == ["https://evil.example/key", "https://evil.example/x"]
    assert sci.verify(json.dumps({"note": "DnCNN is better"})).unknown_names == ["DnCNN"]
    assert not sci.verify('{"not json after all": https://evil.example/x').grounded


def test_verify_takes_text_only(fake_sci):
    for text, kind in ((None, "None"), (5, "int"), (b"bytes", "bytes")):
        with pytest.raises(QuestionError, match=f"^the text to check must be a string, not {kind}$"):
            fake_sci.verify(text)  # a TypeError from deep inside once
    for empty in ("", " \n\t"):  # nothing to check: an empty answer must not pass a grounding gate
        with pytest.raises(QuestionError, match="^the text to check is empty$"):
            fake_sci.verify(empty)


def test_verify_cli_exit_codes(tmp_path):
    from typer.testing import CliRunner

    from scientist.cli import app

    bad = tmp_path / "llm.txt"
    bad.write_text("See https://example.org/paper.pdf for the denoising task.")
    assert CliRunner().invoke(app, ["verify", str(bad)]).exit_code == 1
    good = tmp_path / "ok.txt"
    good.write_text("Task: image denoising. Input -> model -> output. Code: https://github.com/chosj95/MIMO-UNet")
    result = CliRunner().invoke(app, ["verify", str(good)])
    assert result.exit_code == 0, result.stdout
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    result = CliRunner().invoke(app, ["verify", str(empty)])
    assert result.exit_code == 2 and "the text to check is empty" in result.stderr


def test_verify_reads_its_vocabulary_from_the_corpus(tmp_path):
    import shutil

    from scientist.corpus import load_corpus
    from scientist.guard import verify_text
    from scientist.paths import data_path

    text = "Networks such as DnCNN remove noise; PSNR and SSIM measure it."
    packaged = load_corpus(include_user=False)
    assert verify_text(packaged, text).unknown_names == ["DnCNN"]
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(data_path("corpus") / "records.yaml", folder)
    (folder / "vocabulary.yaml").write_text("vocabulary: [DnCNN]\n")
    own = verify_text(load_corpus(folder), text)
    assert "DnCNN" not in own.unknown_names and "PSNR" in own.unknown_names


def _with_denoiser(cache, embedder, title: str, **links):
    """A scientist over the packaged records and one more: a denoising model ``title`` with ``links``."""
    from scientist.core import Scientist
    from scientist.corpus import Corpus, load_corpus
    from scientist.records import Record

    packaged = load_corpus(include_user=False)
    rec = Record(id=title.lower(), kind="model", title=title, tasks=["denoising"], **links,
                 summary=f"{title} removes grain from night photos with a small convolutional network.")
    corpus = Corpus([*packaged.records, rec], packaged.tasks, packaged.sources, packaged.vocabulary)
    return Scientist(corpus, cache_dir=cache, embedder=embedder)


def test_verify_passes_a_record_link_as_the_markdown_answer_writes_it(tmp_path, fake_embedder):
    """The Markdown answer percent-encodes a link's brackets ("..._%28image%29") and verify called that link
    foreign: the tool's own answer failed its own check.  A link that only looks alike is still foreign."""
    sci = _with_denoiser(tmp_path, fake_embedder, "LinkTestNet",
                         url="https://en.wikipedia.org/wiki/Noise_reduction_(image)")
    answer = sci.ask("How does LinkTestNet remove grain from my night photos?")
    assert "https://en.wikipedia.org/wiki/Noise_reduction_%28image%29" in answer.markdown
    verdict = sci.verify(answer.markdown)
    assert verdict.grounded and "linktestnet" in verdict.cited_records, verdict.summary()
    other = sci.verify("See https://en.wikipedia.org/wiki/Noise_reduction_%28video%29.")
    assert other.foreign_urls == ["https://en.wikipedia.org/wiki/Noise_reduction_%28video%29"]


def test_a_records_model_hub_link_is_shown_in_every_form(tmp_path, fake_embedder):
    """A record's huggingface link, a field the catalogs accept, was shown nowhere: not in the answer, its JSON,
    the web page or the prompt; the answer said 'Code: none in its record' and nothing else."""
    from scientist.web.app import _answer_html

    hub = "https://huggingface.co/acme/hubdenoiser"
    sci = _with_denoiser(tmp_path, fake_embedder, "HubDenoiser", huggingface=hub)
    answer = sci.ask("How does HubDenoiser remove noise?")
    ref = next(r for r in answer.references if r.id == "hubdenoiser")
    assert ref.huggingface == hub
    assert f"  - Model hub: {hub}" in answer.markdown and f"model hub: {hub}" in answer.text
    assert f'href="{hub}"' in _answer_html(sci, answer)
    assert f"Hugging Face: {hub}" in sci.prompt("How does HubDenoiser remove noise?")
    assert sci.verify(answer.markdown).grounded


@pytest.mark.parametrize(("text", "names"), [
    ("MIMO-UNet was developed by Google.", ["Google"]),
    ("Developed at Stanford University, MIMO-UNet removes blur.", ["Stanford"]),
    ("The MIMO-UNet authors are Kim, Lee and Park.", ["Kim", "Lee", "Park"]),
    ("The model was built by researchers at Korea University.", ["Korea"]),
])
def test_verify_flags_makers_no_record_names_even_english_words(fake_sci, text, names):
    """A made-up attribution, the checker's most likely catch, passed: "Google" and "Park" are English words."""
    v = fake_sci.verify(text)
    assert not v.grounded and v.unknown_names == names


@pytest.mark.parametrize("text", ["MIMO-UNet was proposed by Cho et al. at ICCV 2021.",
                                  "It was made by the team behind the paper.", "Trained by the authors on GoPro."])
def test_verify_passes_makers_the_records_name(fake_sci, text):
    assert fake_sci.verify(text).grounded
