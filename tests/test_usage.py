"""A question about using the tool on a photo ("which formats can I give it?", "does it upload my photos?", "do I
need a GPU?") is answered with the tool's own facts: before, "can it open RAW files from my camera?" was answered
with the deblurring model's summary, "do I need a GPU to run this?" refused as 3D reconstruction."""

from __future__ import annotations

from pathlib import Path

import pytest

from scientist.corpus import USAGE_TOPICS, load_usage
from scientist.restore.photo import MAX_PIXELS, PHOTO_SUFFIXES, RAW_SUFFIXES


@pytest.mark.parametrize(("message", "topics"), [
    ("what file formats can I give it?", ["formats"]), ("does it work on HEIC photos from my iphone?", ["formats"]),
    ("jpg ok??", ["formats"]), ("can it open PDFs?", ["formats"]),
    ("can it open RAW files from my camera?", ["raw"]), ("does it support .NEF?", ["raw"]),
    ("My Nikon makes NEF files. Is the program able to open them?", ["raw"]),
    ("will it overwrite my original?", ["output"]), ("can I get a TIFF back?", ["output"]),
    ("Does the restored image keep the EXIF data?", ["output"]),
    ("max resolution?", ["size"]), ("Can it process a 50 megapixel panorama?", ["size"]),
    ("does it keep 16 bit?", ["depth"]), ("can it handle 16-bit TIFFs?", ["formats", "depth"]),
    ("does it upload my photos anywhere?", ["privacy"]), ("will u use my pics to train the AI??", ["privacy"]),
    ("does it work offline?", ["privacy"]),
    ("do I need a GPU to run this?", ["hardware"]), ("will it work on an M1 Mac?", ["hardware"]),
    ("what will it call the restored file?", ["output"]), ("is the ICC profile kept in the result?", ["output"]),
    ("is there a minimum size?", ["size"]), ("can other people on my wifi see the page?", ["privacy"]),
    ("can I run it on my android phone?", ["hardware"]), ("I shoot CR2. Will it only take JPEGs?", ["formats", "raw"]),
    ("My stacks are 32-bit float. Will it accept them?", ["depth"]), ("so no HEIC?", ["formats"]),
    ("minimum RAM to run it?", ["hardware"]), ("does it keep a history of what I processed?", ["privacy"]),
    ("is it saving lossless or recompressing?", ["output"]),
    ("my scan is a 1.2 GB tiff lol. will it even open", ["formats", "size"]),  # the size and the ask apart
    ("Can it read FITS files from my telescope?", ["formats"]), ("can it open M31_stack.fits?", ["formats"]),
    ("Old Kodak Photo CD scans (.pcd). Your app won't read those, right?", ["formats"]),
    ("I suspect it's dropping the embedded Adobe RGB profile.", ["output"]),
    ("does it keep the embedded colour profile?", ["output"]),
    ("Error: unsupported file type 'IMG_4471.PSD' - do I have to flatten and export first?", ["formats"]),  # quoted
    ("NEF?", ["raw"]), ("bit depth", ["depth"]),  # a name alone
    ("what file types", ["formats"]), ("which formats?", ["formats"]), ("file types?", ["formats"]),  # words for them
    ("NEF format?", ["raw"]), ("16 bit format?", ["formats", "depth"]),  # names and words for them, alone
    ("16-bit TIFF in, 16-bit out? or does it crush to 8", ["formats", "depth"]),
    ("canon r6 files are cr3 not cr2, will that matter", ["raw"]), ("Which demosaic is used?", ["raw"]),
    ("Please tell me it doesn't overwrite the originals.", ["output"]), ("I only have an old ThinkPad.", ["hardware"]),
    ("is there a low memory mode", ["hardware"]), ("how long do you keep the photos after", ["privacy"]),
    ("I need to be 100% sure nothing leaves my laptop.", ["privacy"]),
    ("who trained the weights you ship?", ["weights"]), ("how were the bundled weights trained?", ["weights"]),
    ("which checkpoint does it use?", ["weights"]), ("are these the official weights?", ["weights"]),
    ("checkpoint?", ["weights"]), ("can I load my own fine-tuned .pth?", ["weights"]),  # despite "fine-tuned"
    ("does it download the model every time?", ["privacy", "weights"]),
    ("what are weights in a neural network?", []), ("how does weight decay work?", []),
    ("how are weights trained in a neural network?", []), ("what dataset was MIMO-UNet trained on?", []),
    # about a model, a paper or photography, not this program
    ("what GPU was it trained on?", []), ("Does shooting RAW give less noise than JPEG?", []),
    ("why does JPEG compression cause blocks?", []), ("what resolution were the training images?", []),
    ("how was the model trained on private medical images?", []), ("how does it denoise HEIC photos?", []),
    ("Can on-device AI denoising on phones really work offline?", []),
    ("Does uploading a photo to social media recompress it and strip the metadata?", []),
    ("I need a voice for my video game characters. How do these voice generators work?", []),
    ("Is there something for a Raspberry Pi that transcribes German, fully offline?", []),
    ("How does it keep the buildings but change the look?", []),
    ("Real-ESRGAN has a tile option too. How does it stitch the tiles back without seams?", []),
    ("my photo fits the frame, can it sharpen it?", []), ("The noise is huge. Will it even work?", []),
    ("the encoder?", []), ("why does instagram compress my photos so badly when i upload", []),
    ("what's demosaicing and why do raw files need it", []),
    ("what file types did they train on?", []), ("which image formats does the paper use", []),
    ("Is 16-bit vs 8-bit mostly about banding, or does it matter for noise too?", []),
    # the tool's own licence and price, and how far its answers can be trusted
    ("is this tool open source?", ["licence"]), ("what licence is this tool under?", ["licence"]),
    ("can I use this commercially?", ["licence"]), ("Do I need to pay for this?", ["licence"]),
    ("what is the license of the bundled weights?", ["weights", "licence"]),
    ("how accurate are your answers?", ["trust"]), ("how do you know this answer is right?", ["trust"]),
    ("what does the cosine score mean?", ["trust"]), ("Why is the confidence only 24%?", ["trust"]),
    ("do you make things up?", ["trust"]),
    ("Which open-source project colourises old photos?", []), ("does the network use cosine annealing?", []),
    ("can the AI invent details that weren't in my photo?", []), ("how accurate is MIMO-UNet on GoPro?", []),
    ("what is the confidence of a classifier?", []),
    ("licence?", ["licence"]), ("is this a google product", ["licence"]), ("Does Adobe own this?", ["licence"]),
    ("can I fork scientist and publish my version?", ["licence"]), ("is an LLM writing these answers?", ["trust"]),
    ("Is it even allowed to use AI edits in competitions?", []), ("Who owns the copyright to the restored image?", []),
    ("Who created the app I used to scan the photo? Is it from Google?", []),
    ("Why does the chatbot sometimes make up facts when I ask it questions?", []),
    ("could you identify the named inventors or authors of this method?", []),
    ('what does "loosely related" mean?', ["trust"]),  # the answer's own label, in quotes
    ('what does "lossless" mean?', []), ("is a higher cosine score better?", ["trust"]),
    ("does cosine annealing give better results?", []), ("what does softmax confidence mean?", []),
    ("In general, what is a good cosine similarity threshold for sentence embeddings?", []),
    ("Is the Google Camera app open source or closed?", []),
])
def test_usage_questions_are_told_by_topic_and_questions_about_models_are_not(message, topics):
    assert load_usage().asked(message) == topics


def test_the_formats_named_come_from_the_photo_readers_own_lists():
    usage = load_usage()
    named = dict(usage.formats_named("can it take a .heic, IMG_1.CR2, PDFs, jpgs or a JPEG?"))
    assert named == {"heic": "read", "cr2": "raw", "pdf": "other", "jpeg": "read"}  # "jpgs" and "JPEG" are one
    # a name that is also a word is one in capitals or as a file ending only ("it fits")
    assert dict(usage.formats_named("FITS, or star.fits? the Photo CD ones too")) == {"fits": "other", "pcd": "other"}
    assert usage.formats_named("it fits, and it fits.") == []
    read = {n for n, v in usage.names if v == "read"}
    assert {s.lstrip(".") for s in PHOTO_SUFFIXES} <= read
    assert {s.lstrip(".") for s in RAW_SUFFIXES} <= {n for n, v in usage.names if v == "raw"}
    assert len(USAGE_TOPICS) == len(usage.topics)


def test_a_formats_question_is_answered_with_the_tools_facts_and_no_record(sci):
    a = sci.ask("Can it open PDFs or HEIC photos?")
    assert a.about == "usage" and a.usage == ["formats"] and a.task is None and not a.in_scope
    assert not a.references and not a.nearest  # no record speaks of this program
    note = a.notes[0]
    assert "JPEG, PNG, HEIC/HEIF, WebP, TIFF, BMP and GIF" in note
    assert "HEIC is among them" in note and "PDF is not" in note
    assert "not from its records" in note
    assert "**Using this tool on a photo:**" in a.markdown and "USING THIS TOOL ON A PHOTO:" in a.text
    assert sci.verify(a.markdown).grounded


def test_a_raw_question_says_how_to_get_a_file_it_reads(sci):
    note = sci.ask("can it open RAW files from my camera?").notes[0]
    assert "does not read camera RAW files (.dng, .cr2" in note and "16-bit TIFF" in note


def test_the_facts_follow_the_settings_in_force(cache_dir, embedder, tmp_path, monkeypatch):
    from scientist.core import Scientist
    from scientist.settings import load_settings

    settings = load_settings().updated(output_format="tiff", jpeg_quality=80, serve_host="0.0.0.0",
                                       job_retention_hours=2, device="cpu", work_memory_mb=512)
    sci = Scientist(cache_dir=cache_dir, embedder=embedder, settings=settings)
    out = sci.ask("what format does it save the result as?").notes[0]
    assert "written as a TIFF (the `output_format` setting" in out and "quality 80" in out
    assert "`NAME_restored.tif`" in out
    private = sci.ask("does it upload my photos anywhere?").notes[0]
    assert "listens on 0.0.0.0 (the `serve_host` setting), so other machines" in private and "for 2 hours" in private
    assert "a JPEG of at most 512 KiB" in private  # what a chat app is handed, and may send on
    hardware = sci.ask("do I need a GPU to run this?").notes[0]
    assert "keeps it on the processor" in hardware and "512 MiB" in hardware
    size = sci.ask("is there a size limit for the photo?").notes[0]
    assert f"up to {MAX_PIXELS / 1e6:g} million pixels" in size


def test_a_usage_question_that_asks_an_operation_too_is_answered_from_the_records_after_the_facts(sci):
    a = sci.ask("can it deblur a 50 megapixel photo?")
    assert a.in_scope and a.task.id == "deblurring" and a.about is None and a.usage == ["size"]
    assert a.notes[0].startswith("A photo may have up to")
    alone = sci.ask("is there a size limit for the photo?")
    assert alone.about == "usage" and alone.task is None


def test_a_question_about_a_models_training_hardware_is_not_read_as_one_about_the_tool(sci):
    a = sci.ask("what GPU was MIMO-UNet trained on?")
    assert a.usage == [] and a.about is None


def test_the_json_answer_carries_the_topics(sci):
    data = sci.ask("does it keep 16-bit, and can it open HEIC?").model_dump(mode="json")
    assert data["about"] == "usage" and data["usage"] == ["formats", "depth"]


def test_a_usage_question_that_asks_a_figure_of_the_model_gets_both_the_figure_said_missing_and_the_facts(sci):
    # "how much vram does it need?" asks the model's memory use, which no record gives (as before), and the tool's
    a = sci.ask("how much vram does it need")
    assert a.about is None and a.usage == ["hardware"] and a.in_scope
    assert any("does not report" in n and "memory use" in n for n in a.notes)
    assert any(n.startswith("It needs no graphics card") for n in a.notes)


@pytest.mark.parametrize("question", ["can it open RAW files?", "will it save as webp?", "is there a size limit?",
                                      "does it keep 16-bit?", "does it upload my photos?",
                                      "do I need a GPU to run this?", "who trained the weights you ship?",
                                      "is this tool open source?", "what does the cosine score mean?"])
def test_every_topics_answer_names_nothing_and_no_figure_a_checker_would_doubt(sci, question):
    a = sci.ask(question)
    verdict = sci.verify(a.markdown)
    assert a.about == "usage" and verdict.grounded, verdict


def test_the_web_page_shows_the_facts_under_their_heading(sci):
    from scientist.web.app import _answer_html

    page = _answer_html(sci, sci.ask("can it open HEIC files?"))
    assert "<strong>Using this tool on a photo:</strong>" in page and "HEIC is among them" in page
    assert "cosine" not in page


def test_a_format_named_in_capitals_is_not_said_to_be_a_name_no_record_mentions(sci):
    a = sci.ask("can it handle 16-bit TIFFs and RAWs from my Nikon?")
    assert a.usage == ["formats", "raw", "depth"]
    assert not any("TIFFs" in n and "none of the" in n for n in a.notes)
    other = sci.ask("can it open HEIC files like NAFNet does?")
    assert other.usage == ["formats"] and any("NAFNet" in n and "none of the" in n for n in other.notes)


def test_a_phrasing_list_is_compiled_only_for_a_text_that_could_hold_it_and_the_screen_changes_no_match():
    import glob

    import yaml

    from scientist.corpus import _usage_text

    usage = load_usage()
    texts = []
    for path in sorted(glob.glob(str(Path(__file__).parent / "data" / "*blind*.yaml"))):
        data = yaml.safe_load(Path(path).read_text("utf-8"))
        groups = data.values() if isinstance(data, dict) else [data]
        texts += [_usage_text(q) for g in groups if isinstance(g, list) for q in g if isinstance(q, str)]
    assert len(texts) > 500
    lists = [p for _, asks, despite in usage.topics for p in (asks, despite) if p is not None]
    assert all(p.keys is not None for p in lists)  # every topic can be screened
    for p in [*lists, usage.named_frames]:
        for t in texts:
            assert bool(p.search(t)) == bool(p.pattern.search(t)), t
    assert not any(p.could_hold(_usage_text("How does MIMO-UNet work?")) for p in lists)


def test_a_weights_question_is_told_which_weights_run_and_where_they_come_from(sci):
    from scientist.restore.weights import bundled_weights

    a = sci.ask("who trained the weights you ship?")
    assert a.about == "usage" and a.usage == ["weights"] and a.references == []
    note = a.notes[0]
    size = bundled_weights().stat().st_size / 1e6
    assert f"`{bundled_weights().name}` (MIMO-UNet, the smaller variant; {size:.1f} MB" in note
    assert "This project trained them itself with `scientist train`" in note
    assert "not the published weights the records describe" in note and "give its path with `--weights`" in note


def test_the_weights_said_are_those_in_force(cache_dir, embedder, tmp_path):
    from scientist.core import Scientist
    from scientist.settings import load_settings

    given = tmp_path / "MIMO-UNetPlus.pkl"  # never read: the answer names the choice, it loads nothing
    sci = Scientist(cache_dir=cache_dir, embedder=embedder, settings=load_settings().updated(weights=str(given)))
    note = sci.ask("which weights does it use?").notes[0]
    assert "the weights the `weights` setting names, `MIMO-UNetPlus.pkl`, not the ones that come with it" in note
    other = Scientist(cache_dir=cache_dir, embedder=embedder).ask("which weights does it use?", weights=str(given))
    assert "given to this tool, `MIMO-UNetPlus.pkl`" in other.notes[0] and "without that file" in other.notes[0]
    assert not given.exists()


def test_a_weights_question_that_names_the_model_keeps_the_records_answer_after_the_facts(sci):
    a = sci.ask("who trained MIMO-UNet's weights?")
    assert a.about is None and a.in_scope and a.usage == ["weights"] and a.references
    assert any(n.startswith("The network runs the weights that come with this tool") for n in a.notes)



def test_a_weights_question_says_when_the_bundled_file_is_missing(sci, monkeypatch, tmp_path):
    import scientist.restore.weights as weights

    monkeypatch.setattr(weights, "bundled_weights", lambda: tmp_path / "mimo-unet-lowlight.safetensors")
    note = sci.ask("who trained the weights you ship?").notes[0]
    assert "where that file is missing or damaged now" in note and "This project trained them" in note


def test_a_licence_question_is_told_the_packages_own_licence(sci):
    from importlib.metadata import metadata

    a = sci.ask("can I use this tool commercially?")
    assert a.about == "usage" and a.usage == ["licence"] and a.references == []
    licence = metadata("scientist")["License-Expression"]
    assert f"open-source software under the {licence} licence" in a.notes[0]
    assert "the records do not give" in a.notes[0] and "not legal advice" in a.notes[0]
    assert a.markdown.count("**About this tool:**") == 1


def test_a_licence_question_that_names_the_model_is_the_records_to_answer(sci):
    a = sci.ask("what licence is MIMO-UNet released under?")  # the published model's, which the records do not give
    assert a.about is None and a.usage == [] and a.references
    assert not any(n.startswith("This tool is open-source software") for n in a.notes)
    assert any("asks about licence, which the record this answer draws on does not report" in n for n in a.notes)
    # "it" may be the tool as well as the model: both are answered
    b = sci.ask("is it open source?")
    assert b.usage == ["licence"] and b.references
    assert any(n.startswith("This tool is open-source software") for n in b.notes)
    # in scope for its words alone, a question about the restored photos is not answered from the records
    b = sci.ask("Can I use the restored photos commercially?")
    assert b.about == "usage" and b.references == []


def test_a_licence_question_about_other_software_is_told_first_that_the_licence_given_is_the_tools(sci):
    a = sci.ask("Is GIMP really free for commercial use?")  # GIMP's licence, which no record gives
    assert a.about == "usage" and a.usage == ["licence"] and a.references == []
    assert a.notes[0].startswith("The question names GIMP, which none of the")
    assert "what follows is this tool's own licence, in case that was meant" in a.notes[0]
    assert a.notes[1].startswith("This tool is open-source software")
    # a word for the tool beside the name asks of the tool: the name's note stays last, as it was
    b = sci.ask("is this tool as free as GIMP for commercial use?")
    assert b.notes[0].startswith("This tool is open-source software")
    assert "GIMP" in b.notes[-1] and "in case that was meant" not in b.notes[-1]


def test_a_trust_question_says_what_the_figures_are_from_the_settings_in_force(cache_dir, embedder):
    from scientist import Scientist
    from scientist.settings import load_settings

    sci = Scientist(cache_dir=cache_dir, embedder=embedder, settings=load_settings().updated(relevance_cutoff=0.3))
    a = sci.ask("what does the cosine score mean?")
    assert a.about == "usage" and a.usage == ["trust"]
    assert "about a neighbouring task (from 0.30)" in a.notes[0] and "no language model writes it" in a.notes[0]
    assert a.markdown.splitlines()[2].startswith("**How far its answers can be trusted:**")


def test_a_question_whether_a_company_made_the_tool_is_told_who_did(sci):
    from importlib.metadata import metadata

    licence = metadata("scientist")["License-Expression"]
    a = sci.ask("is this tool made by OpenAI?")  # the licence's facts say who publishes it
    assert a.about == "usage" and a.usage == ["licence"] and not a.in_scope and a.references == []
    assert "written and published by the developers its `LICENSE` file names, not by an AI company" in a.notes[0]
    b = sci.ask("was this tool made by a student?")  # about the tool, whose answer says the same
    assert b.about == "tool" and f"open-source software under the {licence} licence" in b.notes[0]
    assert "not by an AI company" in b.notes[0]
