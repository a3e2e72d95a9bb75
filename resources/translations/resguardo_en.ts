<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>Preview</name>
    <message numerus="yes">
        <source>%Ln more tables change</source>
        <translation>
            <numerusform>%Ln more table changes</numerusform>
            <numerusform>%Ln more tables change</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The rows now of %Ln large tables are estimates.</source>
        <translation>
            <numerusform>The rows now of %Ln large table are an estimate.</numerusform>
            <numerusform>The rows now of %Ln large tables are estimates.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln rows come back in {table}</source>
        <translation>
            <numerusform>%Ln row comes back in {table}</numerusform>
            <numerusform>%Ln rows come back in {table}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln rows of {table} go away</source>
        <translation>
            <numerusform>%Ln row of {table} goes away</numerusform>
            <numerusform>%Ln rows of {table} go away</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RestoreFlow</name>
    <message numerus="yes">
        <source>The web application wrote %Ln rows while the restore ran; they are in the previous version kept for undo.</source>
        <translation>
            <numerusform>The web application wrote %Ln row while the restore ran; it is in the previous version kept for undo.</numerusform>
            <numerusform>The web application wrote %Ln rows while the restore ran; they are in the previous version kept for undo.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln warnings: see the log.</source>
        <translation>
            <numerusform>%Ln warning: see the log.</numerusform>
            <numerusform>%Ln warnings: see the log.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Window</name>
    <message numerus="yes">
        <source>%Ln clinics, from the clinics table</source>
        <translation>
            <numerusform>%Ln clinic, from the clinics table</numerusform>
            <numerusform>%Ln clinics, from the clinics table</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecoverDialog</name>
    <message numerus="yes">
        <source>{words} (%Ln rows)</source>
        <translation>
            <numerusform>{words} (%Ln row)</numerusform>
            <numerusform>{words} (%Ln rows)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln rows deleted since the backup.</source>
        <translation>
            <numerusform>%Ln row deleted since the backup.</numerusform>
            <numerusform>%Ln rows deleted since the backup.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln rows found.</source>
        <translation>
            <numerusform>%Ln row found.</numerusform>
            <numerusform>%Ln rows found.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records of {what}: {keys}</source>
        <translation>
            <numerusform>%Ln record of {what}: {keys}</numerusform>
            <numerusform>%Ln records of {what}: {keys}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecoverPreview</name>
    <message numerus="yes">
        <source>%Ln records come back into {clinic}</source>
        <translation>
            <numerusform>%Ln record comes back into {clinic}</numerusform>
            <numerusform>%Ln records come back into {clinic}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records are already in the clinic as in the backup: left as they are.</source>
        <translation>
            <numerusform>%Ln record is already in the clinic as in the backup: left as it is.</numerusform>
            <numerusform>%Ln records are already in the clinic as in the backup: left as they are.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records are skipped: the clinic holds other data under the same number now, which is kept.</source>
        <translation>
            <numerusform>%Ln record is skipped: the clinic holds other data under the same number now, which is kept.</numerusform>
            <numerusform>%Ln records are skipped: the clinic holds other data under the same number now, which is kept.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>&amp;Bring back %Ln records</source>
        <translation>
            <numerusform>&amp;Bring back %Ln record</numerusform>
            <numerusform>&amp;Bring back %Ln records</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{what}: %Ln to add</source>
        <translation>
            <numerusform>{what}: %Ln to add</numerusform>
            <numerusform>{what}: %Ln to add</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecoverFlow</name>
    <message numerus="yes">
        <source>The backup holds %Ln tables.</source>
        <translation>
            <numerusform>The backup holds %Ln table.</numerusform>
            <numerusform>The backup holds %Ln tables.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records would come back</source>
        <translation>
            <numerusform>%Ln record would come back</numerusform>
            <numerusform>%Ln records would come back</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Remove the %Ln records recovered into {clinic} on {when} from {file}? Nothing else of {clinic} is touched. If any of them was changed since, nothing is removed and you are told which.</source>
        <translation>
            <numerusform>Remove the %Ln record recovered into {clinic} on {when} from {file}? Nothing else of {clinic} is touched. If it was changed since, nothing is removed and you are told so.</numerusform>
            <numerusform>Remove the %Ln records recovered into {clinic} on {when} from {file}? Nothing else of {clinic} is touched. If any of them was changed since, nothing is removed and you are told which.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Removed the %Ln records recovered into {clinic} on {when}, in {time}.</source>
        <translation>
            <numerusform>Removed the %Ln record recovered into {clinic} on {when}, in {time}.</numerusform>
            <numerusform>Removed the %Ln records recovered into {clinic} on {when}, in {time}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records brought back into {clinic} from {file}, in {time}</source>
        <translation>
            <numerusform>%Ln record brought back into {clinic} from {file}, in {time}</numerusform>
            <numerusform>%Ln records brought back into {clinic} from {file}, in {time}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records were skipped: the clinic holds other data under the same number.</source>
        <translation>
            <numerusform>%Ln record was skipped: the clinic holds other data under the same number.</numerusform>
            <numerusform>%Ln records were skipped: the clinic holds other data under the same number.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln warnings: see the log.</source>
        <translation>
            <numerusform>%Ln warning: see the log.</numerusform>
            <numerusform>%Ln warnings: see the log.</numerusform>
        </translation>
    </message>
</context>
</TS>
