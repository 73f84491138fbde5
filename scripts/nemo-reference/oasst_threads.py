"""Reference for tests and docs: NeMo-Aligner's oasst preprocessing (examples/nlp/data/steerlm/
preprocess_openassistant_data.py) re-implemented from its description, on oasst1's message-per-line
JSONL instead of the trees export. Every message is kept (the script has no deleted filter); every
root-to-leaf thread of two messages or more becomes a record; an assistant message with labels gets
"name:round(v*4)" for quality, toxicity, humor, creativity in that order (an empty string when it has
none of them), a message without labels gets no label, user turns get None.

Usage: python3 oasst_threads.py messages.jsonl > records.jsonl   (counts go to stderr)
"""
import json
import sys

KEPT = ["quality", "toxicity", "humor", "creativity"]


def label_of(message):
    labels = message.get("labels")
    if labels is None:
        return None
    values = dict(zip(labels["name"], labels["value"]))
    return ",".join(f"{name}:{round(values[name] * 4)}" for name in KEPT if name in values)


def main(path):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    replies, roots = {}, []
    for row in rows:
        if row["parent_id"] is None:
            roots.append(row)
        else:
            replies.setdefault(row["parent_id"], []).append(row)

    def threads(message):
        turn = {"value": message["text"], "from": "User" if message["role"] == "prompter" else "Assistant"}
        if message.get("labels") is not None:
            turn["label"] = label_of(message)
        below = [thread for reply in replies.get(message["message_id"], []) for thread in threads(reply)]
        return [[turn] + thread for thread in below] if below else [[turn]]

    records = labelled = 0
    for root in roots:
        for thread in threads(root):
            if len(thread) <= 1:
                continue
            for turn in thread:
                if turn["from"] == "User":
                    turn["label"] = None
            records += 1
            labelled += sum(1 for turn in thread if turn["from"] == "Assistant" and turn.get("label") is not None)
            print(json.dumps({"conversations": thread, "mask": "User", "type": "VALUE_TO_TEXT", "tree_id": root["message_tree_id"]}, ensure_ascii=False))
    print(f"records {records}, labelled assistant turns {labelled}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
