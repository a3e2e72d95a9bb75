; Inno Setup 6 script: the Windows installer of Resguardo, from the one-folder bundle dist\resguardo\.
;
;     python scripts\build_bundle.py
;     iscc /DAppVersion=0.1.0 packaging\windows\resguardo.iss
;
; (scripts/build_bundle.py prints that iscc line, with the version, on Windows; .github/workflows/bundles.yml runs
; it.) Writes dist\Resguardo-Setup-<version>.exe. It installs for the user alone (no administrator needed) or, when
; the user asks in its first dialog or with /ALLUSERS, for every user of the machine. See packaging/windows.md.
; tests/test_packaging_windows.py checks this file here, where iscc does not run.

#ifndef AppVersion
  #error Give the version the bundle was built with: iscc /DAppVersion=<version> (scripts/build_bundle.py prints it)
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\resguardo"
#endif

[Setup]
; The one identity of the program across versions: an upgrade replaces the installed copy, the uninstaller finds
; it. Never change it.
AppId={{20B5884D-09FF-4008-B3EE-01483E2B967D}
AppName=Resguardo
AppVersion={#AppVersion}
AppVerName=Resguardo {#AppVersion}
AppPublisher=The Resguardo developers
AppComments=Back up and restore one clinic at a time
VersionInfoVersion={#AppVersion}
VersionInfoProductName=Resguardo
VersionInfoDescription=Resguardo installer
; Per user by default: %LOCALAPPDATA%\Programs\Resguardo and the user's Start menu; "for all users" (the first
; dialog, or /ALLUSERS) asks for the administrator and installs in Program Files and the common Start menu.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
DefaultDirName={autopf}\Resguardo
DefaultGroupName=Resguardo
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; The bundle is built for Windows 10 and newer (Python 3.11, Qt 6).
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=Resguardo-Setup-{#AppVersion}
SetupIconFile=..\..\build\icons\resguardo.ico
UninstallDisplayIcon={app}\resguardo.exe
UninstallDisplayName=Resguardo
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; Explorer is told when the .resguardo file type below is added or removed.
ChangesAssociations=yes
; A running Resguardo is closed (and reopened) by the Restart Manager rather than left holding its files.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "spanish"; MessagesFile: "compiler:Languages\Spanish.isl"

[CustomMessages]
english.BackupFileType=Resguardo backup
spanish.BackupFileType=Copia de seguridad de Resguardo
english.EncryptedFileType=Encrypted Resguardo backup
spanish.EncryptedFileType=Copia de seguridad cifrada de Resguardo
english.ProgramComment=Back up and restore one clinic at a time
spanish.ProgramComment=Copias de seguridad y restauración de una clínica cada vez

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole bundle: resguardo.exe (the console program: the CLI, for scripts and Task Scheduler), resguardo-gui.exe
; (the window, no console: what the shortcuts and a double-clicked backup start) and _internal\ (Python, Qt,
; pg_dump, pg_restore, psql, the translations).
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Resguardo"; Filename: "{app}\resguardo-gui.exe"; WorkingDir: "{app}"; Comment: "{cm:ProgramComment}"
Name: "{autodesktop}\Resguardo"; Filename: "{app}\resguardo-gui.exe"; WorkingDir: "{app}"; Comment: "{cm:ProgramComment}"; Tasks: desktopicon

[Registry]
; The .resguardo file type: Explorer names it "Resguardo backup", shows the program's icon, and a double-click runs
; `resguardo-gui.exe FILE`: the window checks the file and offers its restore into the clinic it names (nothing is
; restored without the typed confirmation). HKA is the user's classes (HKCU) in a per-user install and the
; machine's (HKLM) in an all-users one. An encrypted backup ends in .age, age's own extension: Resguardo is only
; added to its "Open with" list (OpenWithProgids), never made its default.
Root: HKA; Subkey: "Software\Classes\.resguardo"; ValueType: string; ValueName: ""; ValueData: "Resguardo.Backup"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\Resguardo.Backup"; ValueType: string; ValueName: ""; ValueData: "{cm:BackupFileType}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Resguardo.Backup\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\resguardo-gui.exe"",0"
Root: HKA; Subkey: "Software\Classes\Resguardo.Backup\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\resguardo-gui.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\.age\OpenWithProgids"; ValueType: string; ValueName: "Resguardo.EncryptedBackup"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\Resguardo.EncryptedBackup"; ValueType: string; ValueName: ""; ValueData: "{cm:EncryptedFileType}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Resguardo.EncryptedBackup\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\resguardo-gui.exe"",0"
Root: HKA; Subkey: "Software\Classes\Resguardo.EncryptedBackup\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\resguardo-gui.exe"" ""%1"""

[UninstallDelete]
; Only the program's own folder, when the uninstaller has emptied it. The user's backups (wherever they were saved),
; settings and connection profiles (%LOCALAPPDATA%\Resguardo), logs and the passwords in the Credential Manager
; stay: a reinstall finds them as they were. Scheduled backups (Task Scheduler, \Resguardo\) stay too; remove
; them first with `resguardo schedule remove NAME` (packaging/windows.md).
Type: dirifempty; Name: "{app}"
