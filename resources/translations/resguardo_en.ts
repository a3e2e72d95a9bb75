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
</TS>
