"""XMP through libexiv2: sidecars as digiKam and Lightroom write them, XMP and IPTC embedded in
a JPEG, writing that keeps other tools' fields, and refusing corrupt or huge sidecars."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from photo_organizer.curation.model import REJECTED
from photo_organizer.curation.xmp import (
    MAX_SIDECAR_BYTES,
    NAMING_STEM,
    SidecarUpdate,
    XmpError,
    read_embedded,
    read_sidecar,
    sidecar_path,
    write_sidecar,
)
from photo_organizer.sample_photos import render, save_jpeg

# As digiKam 8 writes a sidecar (trimmed to the fields that matter here).
DIGIKAM_SIDECAR = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:digiKam="http://www.digikam.org/ns/1.0/"
    xmlns:MicrosoftPhoto="http://ns.microsoft.com/photo/1.0/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
   xmp:Rating="4"
   xmp:Label="Green"
   MicrosoftPhoto:Rating="75"
   digiKam:ColorLabel="3">
   <digiKam:TagsList>
    <rdf:Seq>
     <rdf:li>Trips/2019/Lyon</rdf:li>
     <rdf:li>Animals/Cat</rdf:li>
    </rdf:Seq>
   </digiKam:TagsList>
   <lr:hierarchicalSubject>
    <rdf:Bag>
     <rdf:li>Trips|2019|Lyon</rdf:li>
     <rdf:li>Animals|Cat</rdf:li>
    </rdf:Bag>
   </lr:hierarchicalSubject>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>Lyon</rdf:li>
     <rdf:li>Cat</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <dc:description>
    <rdf:Alt>
     <rdf:li xml:lang="x-default">Cat on the quay</rdf:li>
    </rdf:Alt>
   </dc:description>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""

# As Lightroom Classic writes IMG_1.xmp beside a raw file (with its develop settings).
LIGHTROOM_SIDECAR = """<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000 1.000000, 0000/00/00-00:00:00        ">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
   xmp:Rating="-1"
   xmp:Label="Red"
   crs:Version="15.0"
   crs:Exposure2012="+0.35">
   <dc:description>
    <rdf:Alt>
     <rdf:li xml:lang="x-default">Fête des Lumières</rdf:li>
    </rdf:Alt>
   </dc:description>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>2019</rdf:li>
     <rdf:li>Lyon</rdf:li>
     <rdf:li>Trips</rdf:li>
     <rdf:li>night</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <lr:hierarchicalSubject>
    <rdf:Bag>
     <rdf:li>Trips|2019|Lyon</rdf:li>
    </rdf:Bag>
   </lr:hierarchicalSubject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""

# darktable's history and an unknown namespace: another tool's data we must keep.
DARKTABLE_SIDECAR = """<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:darktable="http://darktable.sf.net/"
    xmlns:other="http://example.org/other/1.0/"
   xmp:Rating="1"
   darktable:xmp_version="5"
   other:Note="keep me">
   <darktable:history>
    <rdf:Seq>
     <rdf:li darktable:operation="exposure" darktable:enabled="1" darktable:params="0000a0c0"/>
    </rdf:Seq>
   </darktable:history>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>darktable|format|jpg</rdf:li>
     <rdf:li>sunset</rdf:li>
    </rdf:Bag>
   </dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def test_reads_digikam_sidecar(tmp_path):
    path = tmp_path / "IMG_1.JPG.xmp"
    path.write_text(DIGIKAM_SIDECAR, encoding="utf-8")
    fields = read_sidecar(str(path))
    assert fields.rating == 4 and fields.label == "Green" and fields.caption == "Cat on the quay"
    assert fields.keywords == ("Animals/Cat", "Trips/2019/Lyon")  # no flat duplicates of leaves


def test_reads_lightroom_sidecar_with_a_reject(tmp_path):
    path = tmp_path / "IMG_1.xmp"
    path.write_text(LIGHTROOM_SIDECAR, encoding="utf-8")
    fields = read_sidecar(str(path))
    assert fields.rating == REJECTED and fields.label == "Red" and fields.caption == "Fête des Lumières"
    assert fields.keywords == ("night", "Trips/2019/Lyon")  # parents written as flat tags are implied


def test_reads_xmp_and_iptc_embedded_in_a_jpeg(tmp_path):
    exiv2 = pytest.importorskip("exiv2")
    photo = save_jpeg(render("beach", (64, 48), 0), tmp_path / "IMG_2.jpg")
    image = exiv2.ImageFactory.open(str(photo))  # the test makes its own photo with metadata
    image.readMetadata()
    xmp = image.xmpData()
    xmp["Xmp.xmp.Rating"] = "2"
    xmp["Xmp.lr.hierarchicalSubject"] = exiv2.XmpArrayValue(["Places|France|Lyon"], exiv2.TypeId.xmpBag)
    iptc = image.iptcData()
    iptc["Iptc.Application2.Keywords"] = "France"  # a part of the hierarchy: not a second tag
    iptc.add(exiv2.IptcKey("Iptc.Application2.Keywords"), exiv2.StringValue("harbour"))
    image.writeMetadata()
    fields = read_embedded(str(photo))
    assert fields.rating == 2 and fields.keywords == ("harbour", "Places/France/Lyon")
    assert read_embedded(str(save_jpeg(render("beach", (64, 48), 1), tmp_path / "plain.jpg"))).empty


def test_writing_keeps_other_fields_and_other_tools_tags(tmp_path):
    path = tmp_path / "IMG_3.JPG.xmp"
    path.write_text(DARKTABLE_SIDECAR, encoding="utf-8")
    write_sidecar(str(path), SidecarUpdate(rating=5, set_rating=True, add_keywords=("Trips/2019/Lyon",)))
    write_sidecar(str(path), SidecarUpdate(caption="Dusk", set_caption=True, remove_keywords=("sunset",)))
    text = path.read_text(encoding="utf-8")
    assert 'darktable:operation="exposure"' in text and 'darktable:params="0000a0c0"' in text
    assert 'other:Note="keep me"' in text and 'darktable:xmp_version="5"' in text
    fields = read_sidecar(str(path))
    assert fields.rating == 5 and fields.caption == "Dusk"
    assert fields.keywords == ("darktable|format|jpg", "Trips/2019/Lyon")  # darktable's own tag kept
    write_sidecar(str(path), SidecarUpdate(set_rating=True, set_caption=True, remove_keywords=("Trips/2019/Lyon",)))
    fields = read_sidecar(str(path))
    assert fields.rating is None and fields.caption is None and fields.keywords == ("darktable|format|jpg",)
    assert [p.name for p in tmp_path.iterdir()] == ["IMG_3.JPG.xmp"]  # no temporary file left


def test_a_new_sidecar_is_readable_by_others_and_named_by_convention(tmp_path):
    photo = str(tmp_path / "IMG_4.CR2")
    assert sidecar_path(photo) == photo + ".xmp"
    assert sidecar_path(photo, NAMING_STEM) == str(tmp_path / "IMG_4.xmp")
    write_sidecar(sidecar_path(photo), SidecarUpdate(label="Blue", set_label=True))
    created = Path(photo + ".xmp")
    assert read_sidecar(str(created)).label == "Blue"
    assert stat.S_IMODE(created.stat().st_mode) & 0o044 == 0o044  # readable by other users' tools


@pytest.mark.parametrize("content", ["truncated", "binary", "huge"])
def test_corrupt_or_huge_sidecars_are_refused_and_left_alone(tmp_path, content):
    path = tmp_path / "IMG_5.JPG.xmp"
    if content == "truncated":
        path.write_text(DIGIKAM_SIDECAR[:700], encoding="utf-8")
    elif content == "binary":
        path.write_bytes(b"\x00\x01\x02not xml")
    else:
        with open(path, "wb") as handle:
            handle.write(DIGIKAM_SIDECAR.encode("utf-8"))
            handle.truncate(MAX_SIDECAR_BYTES + 1)
    before = path.read_bytes()
    with pytest.raises(XmpError):
        read_sidecar(str(path))
    with pytest.raises(XmpError):
        write_sidecar(str(path), SidecarUpdate(rating=3, set_rating=True))
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["IMG_5.JPG.xmp"]
