"""Use from chatbots: retriever, tool, agent turn, prompt, schema, threads, README examples."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scientist.answer import SCHEMA_VERSION, Answer
from scientist.ingest import parse_seed

from .conftest import DATA
from .helpers import tiny_corpus

README = Path(__file__).resolve().parent.parent / "README.md"


def test_retriever_documents_carry_metadata(sci):
    docs = sci.as_retriever(k=3).invoke("how does it reduce noise?")
    assert len(docs) == 3
    meta = docs[0].metadata
    assert meta["id"] == "deblur-mimo-unet-realblur"
    assert set(meta) == {"id", "kind", "title", "url", "github", "huggingface", "score"}
    assert meta["github"] == "https://github.com/chosj95/MIMO-UNet"
    assert docs[0].metadata["score"] >= docs[-1].metadata["score"]


def test_tool_agent_turn_with_fake_chat_model(sci):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    tool = sci.as_tool()
    llm = GenericFakeChatModel(messages=iter([
        AIMessage(content="", tool_calls=[{"name": tool.name, "args": {"question": "how does it reduce noise?"},
                                           "id": "call-1", "type": "tool_call"}]),
        AIMessage(content="It is a deblurring network used for denoising; see the cited records."),
    ]))
    history = [HumanMessage("My grainy photos came out clean. How?")]
    reply = llm.invoke(history)
    assert reply.tool_calls and reply.tool_calls[0]["name"] == "scientist"
    tool_msg = tool.invoke(reply.tool_calls[0])
    assert isinstance(tool_msg, ToolMessage) and tool_msg.tool_call_id == "call-1"
    assert tool_msg.content.startswith("# how does it reduce noise?")
    artifact = Answer.model_validate(tool_msg.artifact)
    assert artifact.task.id == "denoising"
    final = llm.invoke([*history, reply, tool_msg])
    assert "deblurring" in final.content


def test_prompt_has_seed_shape_and_only_cleared_records(sci):
    prompt = sci.prompt("How does it reduce noise?")
    seed = parse_seed(prompt)
    assert seed.question == "How does it reduce noise?"
    assert [r.title for r in seed.records] == ["Deblur-MIMO-UNet-RealBlur"]
    assert seed.records[0].summary.endswith("trained on real blurred photographs.")  # the caveats are not in it
    assert "Histopathology" not in prompt
    # the LLM is told what the tool's own answer says: a deblurring model, what its card says it cannot do
    assert "was built for image deblurring" in prompt
    assert "- Cannot: It was not trained to remove sensor noise" in prompt
    assert "Trained for: Removing motion and camera-shake blur" in prompt and "weights of its own" in prompt
    empty = sci.prompt("What's a good sourdough recipe?")
    assert "(none of the provided models is relevant" in empty
    assert "Based on the following" not in empty and "None of the provided models and papers was matched" in empty
    assert parse_seed(empty).records == []  # still the seed's shape
    assert "chosj95" not in empty


def test_schema_is_versioned():
    snapshots = json.loads((DATA / "answer_schema.json").read_text())
    assert SCHEMA_VERSION in snapshots, "new schema version: add its snapshot to tests/data/answer_schema.json"
    current = json.loads(json.dumps(Answer.model_json_schema(), sort_keys=True))
    assert current == snapshots[SCHEMA_VERSION], "the Answer schema changed: bump SCHEMA_VERSION"
    for name, prop in Answer.model_json_schema()["properties"].items():
        assert prop.get("description"), f"field {name} has no description"


def test_concurrent_asks_match_serial(tmp_path, fake_embedder):
    """Eight threads ask a Scientist that has loaded nothing yet (corpus, index, templates), so the lazy
    loading itself runs concurrently; the answers equal those of a fresh Scientist asked one at a time."""
    from scientist.core import Scientist

    questions = ["how does it reduce noise?", "What's a good sourdough recipe?",
                 "How can AI sharpen a blurry photo?", "How do annotation companies ensure label quality?"] * 2
    cold = Scientist(tiny_corpus(), cache_dir=tmp_path / "a", embedder=fake_embedder)
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda q: cold.ask(q).model_dump_json(), questions))
    one = Scientist(tiny_corpus(), cache_dir=tmp_path / "b", embedder=fake_embedder)
    assert parallel == [one.ask(q).model_dump_json() for q in questions]


def test_async_ask(sci):
    import asyncio

    a = asyncio.run(sci.aask("how does it reduce noise?"))
    assert a.task.id == "denoising"


def _readme_examples() -> list[str]:
    text = README.read_text()
    section = text.split("## Use from a chatbot", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


@pytest.mark.parametrize("index", range(3))
def test_readme_chatbot_examples_run(index, capsys):
    examples = _readme_examples()
    assert len(examples) == 3
    exec(compile(examples[index], f"README example {index + 1}", "exec"), {})
    assert capsys.readouterr().out.strip()


def test_the_tools_photo_goes_through_the_folders_policy_of_the_mcp_server(fake_sci, tmp_path):
    """One tool definition, one policy: the LangChain tool takes restore_photo's parameters and reads a photo
    only inside the allowed folders, as the MCP server does."""
    from PIL import Image

    from scientist.errors import AccessError
    from scientist.tools import tool_definitions

    from .helpers import photo_array, to_u8

    photos, elsewhere, out = tmp_path / "photos", tmp_path / "elsewhere", tmp_path / "out"
    photos.mkdir()
    elsewhere.mkdir()
    inside, outside = photos / "IMG_1.png", elsewhere / "IMG_2.png"
    for p in (inside, outside):
        Image.fromarray(to_u8(photo_array(30, 40) * 0.4)).save(p)
    (photos / "link.png").symlink_to(outside)
    tool = fake_sci.as_tool(allow=[photos], out_dir=out)
    restore = {t.name: t for t in tool_definitions(fake_sci.settings)}["restore_photo"]
    schema = tool.args_schema.model_json_schema()["properties"]
    assert schema["max_side"] == restore.input_schema()["properties"]["max_side"]
    assert schema["gain"] == restore.input_schema()["properties"]["gain"]
    assert restore.input_schema()["properties"]["path"]["description"] in schema["photo"]["description"]
    for path in (outside, photos / "link.png", photos / ".." / "elsewhere" / "IMG_2.png"):
        with pytest.raises(AccessError, match="outside the folders"):
            tool.invoke({"question": "how does it reduce noise?", "photo": str(path)})
    assert not out.exists()
    call = {"type": "tool_call", "id": "c1", "name": tool.name,
            "args": {"question": "how does it reduce noise?", "photo": str(inside), "max_side": 24}}
    answer = Answer.model_validate(tool.invoke(call).artifact)
    assert answer.demo is not None and Path(answer.demo.output).parent == out.resolve()
    assert answer.demo.size == [24, 18]
    kept = Answer.model_validate(tool.invoke({**call, "id": "c2", "args": {**call["args"], "gain": 1}}).artifact)
    assert (kept.demo.gain, kept.demo.brightness) == (1.0, "given")


def test_an_agent_can_have_the_tools_errors_back_as_error_messages(fake_sci, tmp_path):
    """LangChain turns only a ToolException into an error ToolMessage (with ``handle_tool_error``): the tool's typed
    errors were not ones, so a photo that is not a photo ended the agent's turn with an exception instead of telling
    the model, as the MCP server does. They are both now: callers catch the typed error as before."""
    from langchain_core.tools import ToolException

    from scientist.errors import AccessError, OptionError, PhotoError, QuestionError

    (tmp_path / "notes.jpg").write_text("not a photo")
    tool = fake_sci.as_tool(allow=[tmp_path / "."], out_dir=tmp_path / "out")
    cases = [({"question": ""}, QuestionError, "the question is empty"),
             ({"question": "how?", "photo": str(tmp_path / "notes.jpg")}, PhotoError, "not an image"),
             ({"question": "how?", "photo": "/etc/hostname"}, AccessError, "outside the folders"),
             ({"question": "how?", "max_side": 3}, OptionError, "the argument `max_side` must be a whole number"),
             ({}, OptionError, "the argument `question` is missing")]
    for i, (args, kind, said) in enumerate(cases):
        call = {"type": "tool_call", "id": f"c{i}", "name": tool.name, "args": args}
        tool.handle_tool_error = False
        with pytest.raises(kind, match=said) as info:
            tool.invoke(call)
        assert isinstance(info.value, ToolException)
        tool.handle_tool_error = True
        message = tool.invoke(call)
        assert (message.status, message.tool_call_id) == ("error", f"c{i}") and said in message.content, message
    tool.handle_tool_error = True
    ok = tool.invoke({"type": "tool_call", "id": "ok", "name": tool.name, "args": {"question": "how does it denoise?"}})
    assert ok.status == "success" and ok.artifact["question"] == "how does it denoise?"


def test_the_tools_description_says_what_it_returns_and_has_no_server(fake_sci, tmp_path):
    """The description is what a model reads: the LangChain tool returns the answer in Markdown (the demo's record in
    its last part), not restore_photo's preview image, and it runs in the program that made it, not in a server."""
    from scientist.tools import tool_definitions

    tool = fake_sci.as_tool(allow=[tmp_path], out_dir=tmp_path / "out")
    schema = tool.args_schema.model_json_schema()["properties"]
    for text in (tool.description, schema["photo"]["description"]):
        assert "server" not in text and "preview" not in text, text
    assert "Given a photo as well, it also runs the real MIMO-UNet on it" in tool.description
    assert "allowed folders" in tool.description
    restore = {t.name: t for t in tool_definitions(fake_sci.settings)}["restore_photo"]
    assert "a preview of the comparison" in restore.description and "allowed folders" in restore.description


def test_every_tools_description_fits_what_function_calling_apis_take(fake_sci, tmp_path):
    """OpenAI refuses a function whose description is over 1,024 characters: the LangChain tool bound to a chat
    model (its main use) and every MCP tool must fit, as converted for the API."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    from scientist.tools import MAX_DESCRIPTION, tool_definitions

    converted = convert_to_openai_tool(fake_sci.as_tool(allow=[tmp_path], out_dir=tmp_path / "out"))
    descriptions = [converted["function"]["description"], *(t.description for t in tool_definitions())]
    assert MAX_DESCRIPTION == 1024 and all(len(d) <= MAX_DESCRIPTION for d in descriptions), \
        [len(d) for d in descriptions]


def test_the_tools_arguments_are_checked_with_typed_one_sentence_errors(fake_sci, tmp_path):
    """A call the tool's parameters refuse is an OptionError naming the argument (as the MCP server says it), not
    pydantic's report over several lines with its links; an empty question is a QuestionError, as before."""
    from scientist.errors import OptionError, QuestionError

    tool = fake_sci.as_tool(allow=[tmp_path], out_dir=tmp_path / "out")
    cases = [({"question": "how?", "photo": str(tmp_path / "a.png"), "max_side": 3},
              "the argument `max_side` must be a whole number from 8 to 1024"),
             ({"question": "how?", "gain": "bright"}, "the argument `gain` must be auto or a number from 1 to 12"),
             ({"photo": "a.png"}, "the argument `question` is missing"),
             ({"question": ["not", "text"]}, "the argument `question` must be text")]
    for args, said in cases:
        with pytest.raises(OptionError) as info:
            tool.invoke(args)
        assert str(info.value) == said and isinstance(info.value, ValueError)
    with pytest.raises(QuestionError, match="the question is empty"):
        tool.invoke({"question": " "})
    assert not (tmp_path / "out").exists()
